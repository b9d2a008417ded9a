"""SQLite's deploy lock: an OS file lock on `<database file>.distill-lock`.

A lock inside SQLite (BEGIN IMMEDIATE) would make a waiting process hold the database
open and wait inside the driver; an OS advisory lock on a file of its own waits outside
it and dies with the process. The database file itself is never opened here: closing a
second descriptor of it would drop the POSIX locks SQLite holds on it. The holder
writes who it is into the lock file, for the message of a process that gives up waiting.
An in-memory database is seen by one process only and needs no lock.
"""

from __future__ import annotations

from typing import IO

import sqlalchemy as sa

from distill.dialects.deploy_lock import DeployLock, holder_label, utc_now
from distill.dialects.file_database import database_file
from distill.errors import DistillError

SUFFIX = ".distill-lock"
_WINDOWS_OFFSET = 1 << 30  # msvcrt locks bytes: one far past the holder text


def deploy_lock(connection: sa.Connection, name: str) -> DeployLock:
    """The file lock beside the database file; no lock for an in-memory database."""
    path = database_file(connection.engine.url)
    if path is None:
        return DeployLock(f"memory {id(connection.engine)}", "an in-memory database")
    return FileDeployLock(path + SUFFIX, path)


class FileDeployLock(DeployLock):
    """flock(LOCK_EX | LOCK_NB) on the lock file (msvcrt.locking on Windows)."""

    available = True

    def __init__(self, path: str, database: str | None = None) -> None:
        where = f"{database} (lock file {path})" if database else path
        super().__init__(f"file {path}", where)
        self.path = path
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        """Lock the file if no other process has it; then write who holds it."""
        if self._file is None:
            try:
                self._file = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115
            except OSError as error:
                raise DistillError(
                    f"Cannot open the deploy lock file {self.path}: {error.strerror}; make its "
                    "folder writable (SQLite needs that for its journal too)"
                ) from error
        if not _lock(self._file):
            return False
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"{holder_label()}, holding it since {utc_now()}\n")
        self._file.flush()
        return True

    def holder(self) -> str | None:
        """What the holder wrote into the lock file."""
        try:
            with open(self.path, encoding="utf-8") as found:
                text = found.read().strip()
        except OSError:
            return None
        return text or None

    def release(self) -> None:
        """Unlock and close; the file stays (removing it would race with a new holder)."""
        opened, self._file = self._file, None
        if opened is not None:
            opened.close()  # closing the descriptor drops the lock


def _lock(opened: IO[str]) -> bool:
    """Take an exclusive lock on the open file without waiting."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        opened.seek(_WINDOWS_OFFSET)
        try:
            msvcrt.locking(opened.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(opened.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


__all__ = ["SUFFIX", "FileDeployLock", "deploy_lock"]
