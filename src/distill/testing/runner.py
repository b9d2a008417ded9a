"""Drive a project's own env.py against a scratch database, one step at a time.

A HistoryRunner points env.py at the scratch database (it sets `sqlalchemy.url` for the
length of each run) and refuses to go on when env.py connects anywhere else, before any
step runs. Steps come from the revision graph, so "one step up" and "the same step
down" are exact even across branches and merges.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from distill import command
from distill.config import mask_url
from distill.dialects import file_database
from distill.errors import DistillError
from distill.graph import RevisionGraph, Step
from distill.runtime.report import StepEvent, get_reporter, set_reporter
from distill.runtime.request import Inspect, PlanFunction, RunRequest
from distill.testing.schema import SchemaSnapshot, take_snapshot

if TYPE_CHECKING:
    from distill.config import Config
    from distill.runtime.migrator import MigrationContext
    from distill.scripts.directory import ScriptDirectory


class _Silent:
    """A reporter that says nothing: a test runs each revision three times."""

    def run_started(self, total: int) -> None:
        """Nothing."""

    def step_started(self, event: StepEvent) -> None:
        """Nothing."""

    def step_finished(self, event: StepEvent, seconds: float) -> None:
        """Nothing."""

    def step_failed(self, event: StepEvent, seconds: float) -> None:
        """Nothing."""

    def stamp(self, event: StepEvent) -> None:
        """Nothing."""

    def info(self, message: str) -> None:
        """Nothing."""


class ScratchDatabase:
    """The database a history is proved on: a temporary file unless a URL is given."""

    def __init__(self, url: str | None = None) -> None:
        self._directory: str | None = None
        if url is None:
            self._directory = tempfile.mkdtemp(prefix="distill-test-")
            url = file_database.scratch_url(f"{self._directory}/scratch.db")
        self.url = url

    @property
    def temporary(self) -> bool:
        """True when the database is a temporary file removed by close()."""
        return self._directory is not None

    def close(self) -> None:
        """Remove the temporary file, if there is one."""
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None


def reversed_step(step: Step) -> Step:
    """The downgrade that undoes an upgrade step exactly (its version rows swapped back)."""
    return Step("downgrade", step.revision, step.adds, step.removes)


class HistoryRunner:
    """Runs env.py of `config` against the database at `url`, step by step."""

    def __init__(self, config: Config, url: str) -> None:
        self.config = config
        self.url = url
        self.script: ScriptDirectory = command.script_directory(config)
        self._version_table = "alembic_version"

    @property
    def graph(self) -> RevisionGraph:
        """The project's revision graph."""
        return self.script.graph

    def label(self, rev: str | None) -> str:
        """`abc123 (add users)`: a revision as failure messages name it."""
        if rev is None:
            return "base"
        doc = (self.graph.get(rev).doc or "").strip().splitlines()
        return f"{rev} ({doc[0]})" if doc and doc[0] else rev

    def upgrade_steps(self) -> list[Step]:
        """Every step from base to the heads, in run order."""
        return self.graph.upgrade_plan((), "heads")

    # -- runs -----------------------------------------------------------------------------

    def run(self, steps: list[Step]) -> None:
        """Run `steps` (in order) through env.py on the scratch database."""

        def plan(heads: tuple[str, ...], context: MigrationContext) -> list[Step]:
            self._check_connection(context)
            return steps

        with self._pointed_at_scratch():
            command.run_env(self.config, RunRequest(PlanFunction(plan)), self.script)

    def inspect(self, callback: Any) -> None:
        """Run env.py read-only on the scratch database and hand `callback` the context."""

        def look(heads: tuple[str, ...], context: MigrationContext) -> None:
            self._check_connection(context)
            callback(heads, context)

        with self._pointed_at_scratch():
            request = RunRequest(Inspect(look), create_version_table=False)
            command.run_env(self.config, request, self.script)

    def upgrade(self, target: str = "heads") -> None:
        """Upgrade the scratch database to `target` in one run."""
        current = self.database_heads()
        self.run(self.graph.upgrade_plan(current, target))

    def downgrade(self, target: str = "base") -> None:
        """Downgrade the scratch database to `target` in one run."""
        current = self.database_heads()
        self.run(self.graph.downgrade_plan(current, target))

    def database_heads(self) -> tuple[str, ...]:
        """The revisions the scratch database's version table holds."""
        found: list[str] = []
        self.inspect(lambda heads, context: found.extend(heads))
        return tuple(found)

    def snapshot(self) -> SchemaSnapshot:
        """The scratch database's schema, read on a connection of its own."""
        engine = sa.create_engine(self.url, poolclass=sa.NullPool)
        try:
            with engine.connect() as connection:
                return take_snapshot(connection, self._version_table)
        finally:
            engine.dispose()

    # -- keeping env.py on the scratch database -------------------------------------------

    @contextmanager
    def _pointed_at_scratch(self) -> Iterator[None]:
        """sqlalchemy.url is the scratch database while env.py runs, then what it was."""
        before = self.config.get_main_option("sqlalchemy.url")
        self.config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        reporter = get_reporter()
        set_reporter(_Silent())
        try:
            yield
        finally:
            set_reporter(reporter)
            if before is None:
                self.config.remove_main_option("sqlalchemy.url")
            else:
                self.config.set_main_option("sqlalchemy.url", before.replace("%", "%%"))

    def _check_connection(self, context: MigrationContext) -> None:
        """Refuse to go on when env.py connected somewhere other than the scratch database."""
        self._version_table = context.opts.get("version_table") or "alembic_version"
        connection = context.connection
        if connection is None:
            raise DistillError(
                "env.py ran in offline mode during distill test; the test needs a live "
                "connection (run_migrations_online)"
            )
        connected = connection.engine.url.render_as_string(hide_password=False)
        wanted = make_url(self.url).render_as_string(hide_password=False)
        if connected != wanted:
            raise DistillError(
                f"env.py connected to {mask_url(connected)} instead of the scratch database "
                f"{mask_url(wanted)}; distill test sets sqlalchemy.url for env.py, so make "
                "env.py read it (config.get_main_option('sqlalchemy.url')) or give that "
                "database with --url if it is a scratch database"
            )
