"""A PostgreSQL server of the suite's own, with room for one-transaction runs of any size.

A stock server's lock table (max_locks_per_transaction x max_connections) cannot hold
the locks of a `downgrade base` that drops a thousand tables in one transaction, and
that setting needs a restart, so the suite starts a throw-away server instead of
changing a shared one.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

# Locks one dropped table holds until COMMIT: the table, its TOAST table and index,
# three indexes; with margin.
LOCKS_PER_TABLE = 10
MAX_CONNECTIONS = 20


class ServerUnavailable(Exception):
    """The suite could not start its own PostgreSQL server; the message says why."""


def find_bindir() -> Path:
    """The newest installed PostgreSQL's program folder (holding initdb and pg_ctl)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise ServerUnavailable("initdb is not installed (looked in /usr/lib/postgresql and PATH)")
    return Path(initdb).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OwnServer:
    """initdb into a temporary folder, pg_ctl start on a free port; stop removes it all."""

    def __init__(self, tables: int) -> None:
        self.max_locks = max(64, tables * LOCKS_PER_TABLE // MAX_CONNECTIONS + 64)
        self.folder = Path(tempfile.mkdtemp(prefix="distill-bench-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.started = False

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the server's `postgres` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def bindir(self) -> Path:
        """Where initdb and pg_ctl are."""
        return find_bindir()

    def _run(self, *argv: str) -> None:
        # PostgreSQL refuses to run as root; the postgres account owns the folder then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run([*prefix, *argv], capture_output=True, text=True, check=False)
        if result.returncode:
            lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
            raise ServerUnavailable(f"{Path(argv[0]).name} failed: {lines[-1]}")

    def start(self) -> None:
        """Create the cluster and start it; raise ServerUnavailable with the reason."""
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder} -c max_connections={MAX_CONNECTIONS} "
            f"-c max_locks_per_transaction={self.max_locks}"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D", str(self.data), "-l", str(self.folder / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        self.started = True

    def stop(self) -> None:
        """Stop the server (if it started) and delete its folder."""
        try:
            if self.started:
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        finally:
            self.started = False
            shutil.rmtree(self.folder, ignore_errors=True)
