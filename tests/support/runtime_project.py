"""A tiny migration project on disk for the runtime tests (helpers only, no tests here).

env.py has the stock shape and takes its configure() options, run_migrations() keywords,
a shared connection and an inspection hook from `config.attributes`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from distill.config import Config
from distill.graph import Step
from distill.runtime.environment import EnvironmentContext
from distill.runtime.migrator import MigrationContext
from distill.scripts.directory import ScriptDirectory

ENV_PY = '''\
"""env.py of the runtime tests."""
import sqlalchemy as sa

from distill import context

config = context.config
attributes = config.attributes
options = dict(attributes.get("configure", {}))
run_args = dict(attributes.get("run_args", {}))
hook = attributes.get("hook")


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **options,
    )
    if hook:
        hook(context)
    with context.begin_transaction():
        context.run_migrations(**run_args)


def do_run_migrations(connection):
    context.configure(connection=connection, **options)
    if hook:
        hook(context)
    with context.begin_transaction():
        context.run_migrations(**run_args)


def run_migrations_online():
    connection = attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    engine = sa.create_engine(
        config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool
    )
    with engine.connect() as connection:
        do_run_migrations(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

REVISION = '''\
"""{message}

Revision ID: {rev}
Revises: {parents}
"""
import sqlalchemy as sa

from distill import op

revision = {rev!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = {depends_on!r}


def upgrade(**kw):
{upgrade}


def downgrade(**kw):
{downgrade}
'''

Plan = Callable[[tuple[str, ...], MigrationContext], Sequence[Step]]


def _body(code: str) -> str:
    return textwrap.indent(textwrap.dedent(code).strip() or "pass", "    ")


class Project:
    """A migration folder with env.py and revision files, and ways to run it."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        self.folder = root / "migrations"
        (self.folder / "versions").mkdir(parents=True)
        (self.folder / "env.py").write_text(ENV_PY)
        self.attributes: dict[str, Any] = {}

    def add(
        self,
        rev: str,
        down: str | tuple[str, ...] | None,
        message: str,
        upgrade: str = "pass",
        downgrade: str = "pass",
        *,
        branch_labels: tuple[str, ...] | None = None,
        depends_on: str | None = None,
    ) -> Path:
        """Write a revision file whose upgrade()/downgrade() run the given code."""
        parents = ", ".join((down,) if isinstance(down, str) else down or ())
        path = self.folder / "versions" / f"{rev}_{message.replace(' ', '_')}.py"
        path.write_text(
            REVISION.format(
                message=message,
                rev=rev,
                parents=parents,
                down=down,
                upgrade=_body(upgrade),
                downgrade=_body(downgrade),
                labels=branch_labels,
                depends_on=depends_on,
            )
        )
        return path

    def config(self, **attributes: Any) -> Config:
        """A Config for the project; `attributes` reach env.py (configure, run_args, hook)."""
        config = Config(attributes={**self.attributes, **attributes})
        config.set_main_option("script_location", str(self.folder))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return config

    def run(
        self,
        plan: Plan | Sequence[Step],
        *,
        config: Config | None = None,
        **kw: Any,
    ) -> None:
        """Run env.py with `plan` (a plan function or a list of steps), given as Alembic's
        `fn` keyword of EnvironmentContext."""
        config = config if config is not None else self.config()
        script = ScriptDirectory.from_config(config)
        fn: Plan = plan if callable(plan) else (lambda heads, context: list(plan))
        with EnvironmentContext(config, script, fn=fn, **kw):
            script.run_env()

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url, poolclass=sa.pool.NullPool)

    def rows(self, table: str = "alembic_version") -> set[str]:
        """The version rows now in the database."""
        engine = self.engine()
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table(table):
                return set()
            return set(connection.execute(sa.text(f"SELECT version_num FROM {table}")).scalars())

    def tables(self) -> set[str]:
        """The table names now in the database, less distill's own (`distill_log`)."""
        engine = self.engine()
        with engine.connect() as connection:
            names = sa.inspect(connection).get_table_names()
            return {name for name in names if not name.startswith("distill_")}


def up(rev: str, removes: tuple[str, ...] = (), adds: tuple[str, ...] | None = None) -> Step:
    """An upgrade step of `rev`."""
    return Step("upgrade", rev, removes, (rev,) if adds is None else adds)


def down(rev: str, removes: tuple[str, ...] | None = None, adds: tuple[str, ...] = ()) -> Step:
    """A downgrade step of `rev`."""
    return Step("downgrade", rev, (rev,) if removes is None else removes, adds)
