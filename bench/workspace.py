"""Everything the cases share: the tools, the generated projects, the databases."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.databases import Database
from bench.projects import (
    Project,
    branched_steps,
    fleet_project,
    history_project,
    linear_steps,
    models_project,
)
from bench.server import OwnServer

REPOSITORY = Path(__file__).resolve().parent.parent
# How long a generated project rests before its first run (see Workspace._project).
HEADER_SETTLE_SECONDS = 3.5
# Variables that would change what the children do or measure: the workplace's
# PYTHONDONTWRITEBYTECODE would make every run recompile (caches stay warm on a user's
# machine), and a config variable would point both tools elsewhere.
DROPPED_VARIABLES = ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "DISTILL_CONFIG", "ALEMBIC_CONFIG")


def child_environment() -> dict[str, str]:
    """The environment every timed process gets."""
    return {key: value for key, value in os.environ.items() if key not in DROPPED_VARIABLES}


class Workspace:
    """A work folder with projects made on first use, and the databases of this run."""

    def __init__(self, folder: Path, python: Path) -> None:
        self.folder = folder
        self.python = python
        self.alembic = python.parent / "alembic"
        self.distill = python.parent / "distill"
        self.databases: dict[str, Database] = {}
        self.server: OwnServer | None = None
        # Why PostgreSQL runs on a server the suite did not start (None: on its own).
        self.shared_server: str | None = None
        # The PostgreSQL server's version and where it runs, once connected.
        self.postgresql: str | None = None
        # Why a database of the run is missing, by name.
        self.unavailable: dict[str, str] = {}
        self._projects: dict[str, Project] = {}

    def _project(self, name: str, make: Callable[[Path], Project]) -> Project:
        if name not in self._projects:
            self._projects[name] = make(self.folder / name)
            # distill records a revision header only once the file is a few seconds old
            # (a coarse mtime could hide a second edit); a user's files are older than that
            time.sleep(HEADER_SETTLE_SECONDS)
        return self._projects[name]

    def linear(self, count: int) -> Project:
        """A linear history of `count` revisions."""
        return self._project(
            f"linear-{count}",
            lambda path: history_project(path, linear_steps(count), self.alembic),
        )

    def fleet(self, count: int) -> Project:
        """A linear history of `count` revisions whose env.py also takes `-x url=...`, the
        way a shell loop over tenants points Alembic at each database."""
        return self._project(
            f"fleet-{count}", lambda path: fleet_project(path, count, self.alembic)
        )

    def branched(self, count: int) -> Project:
        """A branched history with merges, `count` revisions in all."""
        return self._project(
            f"branched-{count}",
            lambda path: history_project(path, branched_steps(count), self.alembic),
        )

    def models(self, count: int) -> Project:
        """A project without revisions whose env.py targets `count` model tables."""
        return self._project(
            f"models-{count}", lambda path: models_project(path, count, self.alembic)
        )

    def statements_file(self, name: str, statements: Sequence[str]) -> Path:
        """Write SQL statements for the DBAPI floor; return the file."""
        path = self.folder / f"{name}.json"
        path.write_text(json.dumps(list(statements)))
        return path

    def floor(self, *args: str) -> tuple[str, ...]:
        """The command line of a floor process."""
        return (str(self.python), str(REPOSITORY / "bench" / "floors.py"), *args)

    def close(self, keep: bool) -> None:
        """Drop the databases, stop the server; delete the folder unless asked to keep it."""
        try:
            for database in self.databases.values():
                database.close()
        finally:
            if self.server is not None:
                self.server.stop()
        if not keep:
            shutil.rmtree(self.folder, ignore_errors=True)
