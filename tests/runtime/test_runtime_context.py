"""The env.py `context` API (ALEMBIC-FACTS §9), on_version_apply, and MigrationContext used
directly by applications."""

from __future__ import annotations

import io
from argparse import Namespace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine.mock import MockConnection
from support.runtime_project import Project

from distill import command, context
from distill.errors import DistillError
from distill.runtime.environment import EnvironmentContext
from distill.runtime.migrator import MigrationContext, MigrationInfo
from distill.scripts.directory import ScriptDirectory

FUNCTIONS: list[tuple[str, tuple[Any, ...]]] = [
    ("configure", ()),
    ("begin_transaction", ()),
    ("run_migrations", ()),
    ("is_offline_mode", ()),
    ("is_transactional_ddl", ()),
    ("requires_connection", ()),
    ("get_head_revision", ()),
    ("get_head_revisions", ()),
    ("get_revision_argument", ()),
    ("get_starting_revision_argument", ()),
    ("get_tag_argument", ()),
    ("get_x_argument", ()),
    ("execute", ("SELECT 1",)),
    ("static_output", ("-- x",)),
    ("get_context", ()),
    ("get_bind", ()),
    ("get_impl", ()),
]


@pytest.mark.parametrize(("name", "args"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_outside_a_command_every_function_says_how_env_py_runs(
    name: str, args: tuple[Any, ...]
) -> None:
    with pytest.raises(DistillError) as caught:
        getattr(context, name)(*args)
    assert f"distill.context.{name}()" in str(caught.value)
    assert "env.py must be run by `distill` (or `alembic`) commands" in str(caught.value)


@pytest.mark.parametrize("name", ["config", "script"])
def test_outside_a_command_config_and_script_are_unavailable(name: str) -> None:
    with pytest.raises(DistillError, match=r"env\.py must be run by"):
        getattr(context, name)
    with pytest.raises(AttributeError):
        context.no_such_thing  # type: ignore[attr-defined]  # noqa: B018


def two_revisions(project: Project) -> None:
    project.add("aaa111", None, "one", 'op.execute("CREATE TABLE t1 (id INTEGER)")')
    project.add("bbb222", "aaa111", "two", 'op.execute("CREATE TABLE t2 (id INTEGER)")')


def ask(ctx: Any) -> dict[str, Any]:
    """Everything env.py can ask the context, after configure()."""
    return {
        "config": ctx.config,
        "script": ctx.script,
        "offline": ctx.is_offline_mode(),
        "requires_connection": ctx.requires_connection(),
        "transactional_ddl": ctx.is_transactional_ddl(),
        "head": ctx.get_head_revision(),
        "heads": ctx.get_head_revisions(),
        "destination": ctx.get_revision_argument(),
        "start": ctx.get_starting_revision_argument(),
        "tag": ctx.get_tag_argument(),
        "x": ctx.get_x_argument(),
        "x_dict": ctx.get_x_argument(as_dictionary=True),
        "context": ctx.get_context(),
        "bind": ctx.get_bind(),
        "impl": ctx.get_impl(),
    }


def test_context_answers_online(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    two_revisions(project)
    answers: dict[str, Any] = {}
    config = project.config(hook=lambda ctx: answers.update(ask(ctx)))
    config.cmd_opts = Namespace(x=["a=1", "b", "tpm=0=1"])
    command.upgrade(config, "aaa1", tag="release-7")
    assert answers["config"] is config
    assert isinstance(answers["script"], ScriptDirectory)
    assert answers["offline"] is False
    assert answers["requires_connection"] is True
    # distill runs SQLite DDL in real transactions; MySQL cannot roll DDL back
    assert answers["transactional_ddl"] is (not db_url.startswith("mysql"))
    assert answers["head"] == "bbb222"
    assert answers["heads"] == ("bbb222",)
    assert answers["destination"] == "aaa111"
    assert answers["start"] is None
    assert answers["tag"] == "release-7"
    assert answers["x"] == ["a=1", "b", "tpm=0=1"]
    assert answers["x_dict"] == {"a": "1", "b": "", "tpm": "0=1"}
    assert isinstance(answers["context"], MigrationContext)
    assert isinstance(answers["bind"], sa.Connection)
    assert answers["bind"] is answers["context"].connection
    assert answers["impl"] is answers["context"].impl
    assert answers["context"].config is config


def test_context_answers_offline(tmp_path: Path) -> None:
    project = Project(tmp_path, "postgresql://nobody@nowhere/db")
    two_revisions(project)
    answers: dict[str, Any] = {}
    config = project.config(hook=lambda ctx: answers.update(ask(ctx)))
    config.output_buffer = io.StringIO()
    command.upgrade(config, "aaa111:bbb222", sql=True)
    assert answers["offline"] is True
    assert answers["requires_connection"] is False
    assert answers["start"] == "aaa111"
    assert answers["destination"] == "bbb222"
    assert answers["x"] == [] and answers["x_dict"] == {}
    assert answers["tag"] is None
    assert isinstance(answers["bind"], MockConnection)


def test_before_configure(tmp_path: Path) -> None:
    project = Project(tmp_path, "sqlite://")
    config = project.config()
    script = ScriptDirectory.from_config(config)
    with EnvironmentContext(config, script, dont_mutate=True) as env:
        assert context.config is config
        assert context.script is script
        with pytest.raises(DistillError, match="No context has been configured yet"):
            context.get_context()
        with pytest.raises(DistillError, match="No starting revision argument is available"):
            context.get_starting_revision_argument()
        with pytest.raises(DistillError, match=r"before context\.configure\(\)"):
            context.run_migrations()
        assert env.get_x_argument() == []
    with EnvironmentContext(config, script, starting_rev=None):
        assert context.get_starting_revision_argument() is None
    with pytest.raises(DistillError, match=r"env\.py must be run by"):
        context.get_x_argument()


def test_configure_errors(tmp_path: Path, sqlite_url: str) -> None:
    project = Project(tmp_path, sqlite_url)
    config = project.config()
    engine = sa.create_engine(sqlite_url)
    with EnvironmentContext(config, ScriptDirectory.from_config(config)):
        with pytest.raises(DistillError) as caught:
            context.configure(connection=engine)  # type: ignore[arg-type]
        assert "expected to be a sqlalchemy.engine.Connection instance, got Engine(" in str(
            caught.value
        )
        assert "engine.connect()" in str(caught.value)
        with pytest.raises(DistillError, match="Connection, url, or dialect_name is required"):
            context.configure()
    engine.dispose()


def test_configure_keeps_every_option(tmp_path: Path) -> None:
    project = Project(tmp_path, "sqlite://")
    config = project.config()
    metadata = sa.MetaData()

    def include_object(*args: Any) -> bool:
        return True

    with EnvironmentContext(config, ScriptDirectory.from_config(config), as_sql=True):
        context.configure(
            dialect_name="postgresql",
            target_metadata=metadata,
            include_object=include_object,
            render_as_batch=True,
            my_own_option=42,
            version_table_pk=False,
        )
        opts = context.get_context().opts
    assert opts["target_metadata"] is metadata
    assert opts["include_object"] is include_object
    assert opts["render_as_batch"] is True
    assert opts["my_own_option"] == 42
    assert opts["version_table_pk"] is False
    assert opts["compare_type"] is True
    assert opts["compare_server_default"] is False
    assert opts["upgrade_token"] == "upgrades"
    assert opts["alembic_module_prefix"] == "op."
    assert opts["sqlalchemy_module_prefix"] == "sa."
    assert opts["include_schemas"] is False


def test_run_migrations_keywords_reach_upgrade(tmp_path: Path, sqlite_url: str) -> None:
    project = Project(tmp_path, sqlite_url)
    project.add("aaa111", None, "one", 'kw["seen"].append(kw["engine_name"])')
    seen: list[str] = []
    command.upgrade(project.config(run_args={"seen": seen, "engine_name": "main"}), "head")
    assert seen == ["main"]


def test_on_version_apply(tmp_path: Path, sqlite_url: str) -> None:
    project = Project(tmp_path, sqlite_url)
    project.add("aaa111", None, "one")
    project.add("ccc111", "aaa111", "c one")
    project.add("ccc333", "aaa111", "c two")
    project.add("mmm999", ("ccc111", "ccc333"), "merge")
    calls: list[tuple[Any, ...]] = []

    def record(*, ctx: MigrationContext, step: MigrationInfo, heads: Any, run_args: Any) -> None:
        assert isinstance(ctx, MigrationContext)
        calls.append(
            (
                step.up_revision_id,
                step.down_revision_ids,
                step.is_upgrade,
                step.is_stamp,
                step.is_migration,
                step.source_revision_ids,
                step.destination_revision_ids,
                heads,
                run_args,
            )
        )

    config = project.config(configure={"on_version_apply": record}, run_args={"n": 1})
    command.upgrade(config, "heads")
    assert calls[0] == ("aaa111", (), True, False, True, (), ("aaa111",), {"aaa111"}, {"n": 1})
    assert calls[-1] == (
        "mmm999",
        ("ccc111", "ccc333"),
        True,
        False,
        True,
        ("ccc111", "ccc333"),
        ("mmm999",),
        {"mmm999"},
        {"n": 1},
    )
    calls.clear()
    command.downgrade(config, "ccc111")
    assert calls == [
        (
            "mmm999",
            ("ccc111", "ccc333"),
            False,
            False,
            True,
            ("mmm999",),
            ("ccc111", "ccc333"),
            {"ccc111", "ccc333"},
            {"n": 1},
        )
    ]
    calls.clear()
    command.stamp(config, "aaa111")
    (stamp,) = calls
    assert stamp[:5] == ("ccc111", ("aaa111",), False, True, False) or stamp[:5] == (
        "ccc333",
        ("aaa111",),
        False,
        True,
        False,
    )
    assert stamp[7] == {"aaa111"}


def test_application_uses_migration_context_directly(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    two_revisions(project)
    script = ScriptDirectory.from_config(project.config())
    engine = sa.create_engine(db_url)
    with engine.connect() as connection:
        migration_context = MigrationContext.configure(connection)
        assert migration_context.get_current_revision() is None
        assert migration_context.get_current_heads() == ()
        assert migration_context.dialect is connection.dialect
        assert migration_context.bind is connection
        assert migration_context.as_sql is False
        assert migration_context.config is None
        migration_context.stamp(script, "head")
        connection.commit()
        assert migration_context.get_current_revision() == "bbb222"
        migration_context.stamp(script, "base")
        migration_context.execute("CREATE TABLE app_table (id INTEGER)")
        connection.commit()
        assert migration_context.get_current_heads() == ()
    engine.dispose()
    assert project.tables() == {"alembic_version", "app_table"}


def test_current_revision_with_several_heads(tmp_path: Path, sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('a1'), ('b1')")
    with engine.connect() as connection:
        migration_context = MigrationContext.configure(connection)
        assert set(migration_context.get_current_heads()) == {"a1", "b1"}
        with pytest.raises(DistillError, match="more than one head present"):
            migration_context.get_current_revision()
    engine.dispose()


def test_configure_from_a_dialect_name_or_url() -> None:
    buffer = io.StringIO()
    migration_context = MigrationContext.configure(
        dialect_name="postgresql", opts={"as_sql": True, "output_buffer": buffer}
    )
    migration_context.execute("SELECT 1")
    assert buffer.getvalue() == "SELECT 1;\n\n"
    assert migration_context.dialect.name == "postgresql"
    by_url = MigrationContext.configure(url="mysql://x@y/z", opts={"as_sql": True})
    assert by_url.dialect.name == "mysql"
    assert by_url.get_current_heads() == ()


def test_configure_from_a_dialect_name_without_a_connection_as_alembic_does() -> None:
    from alembic.runtime.migration import MigrationContext as AlembicContext

    from distill.autogenerate import AutogenContext
    from distill.operations.api import Operations

    reference = AlembicContext.configure(dialect_name="postgresql")
    assert reference.bind is None and not reference.as_sql
    migration_context = MigrationContext.configure(dialect_name="postgresql")
    assert migration_context.bind is None
    assert migration_context.as_sql is False
    assert migration_context.dialect.name == reference.dialect.name == "postgresql"
    assert migration_context.impl.transactional_ddl is reference.impl.transactional_ddl is True
    assert AutogenContext(migration_context).dialect is migration_context.dialect
    # where Alembic fails on an assertion, distill says what is missing
    with pytest.raises(DistillError, match=r"'SELECT 1': this MigrationContext was configured "):
        migration_context.execute("SELECT 1")
    with pytest.raises(DistillError, match="without a connection"):
        Operations(migration_context).add_column("t", sa.Column("x", sa.Integer()))
    for call in (
        migration_context.get_current_heads,
        migration_context.run_migrations,
    ):
        with pytest.raises(DistillError, match=r"needs a database connection.*pass connection="):
            call()
    with (
        pytest.raises(DistillError, match=r"needs a database connection"),
        migration_context.begin_transaction(),
    ):
        pass
