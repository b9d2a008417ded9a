"""The run request: what commands hand the runtime, and how Alembic's public keywords
(`EnvironmentContext(fn=...)`, `MigrationContext.configure(opts={...})`) turn into one."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import pytest
from support.runtime_project import Project, up

from distill import command, context
from distill.graph import Step
from distill.runtime.environment import EnvironmentContext
from distill.runtime.migrator import MigrationContext
from distill.runtime.request import (
    NOT_GIVEN,
    CreateVersionTable,
    Inspect,
    Migrate,
    PlanFunction,
    RunRequest,
    Stamp,
    split_options,
)
from distill.scripts.directory import ScriptDirectory


def no_plan(heads: tuple[str, ...], context: MigrationContext) -> list[Step]:
    return []


def test_alembic_option_names_become_request_fields(tmp_path: Path) -> None:
    project = Project(tmp_path, "sqlite://")
    script = ScriptDirectory.from_config(project.config())
    run_options, configure_options = split_options(
        {
            "fn": no_plan,
            "as_sql": 1,
            "starting_rev": ["aaa111", "bbb222"],
            "destination_rev": "head",
            "tag": "t",
            "purge": True,
            "dont_mutate": True,
            "script": script,
            "version_table": "myver",
            "transactional_ddl": False,
        }
    )
    assert configure_options == {"version_table": "myver", "transactional_ddl": False}
    assert RunRequest.from_options(run_options) == RunRequest(
        PlanFunction(no_plan),
        script=script,
        as_sql=True,
        starting_rev=("aaa111", "bbb222"),
        destination_rev="head",
        tag="t",
        purge=True,
        create_version_table=False,
    )
    assert RunRequest.from_options({}) == RunRequest()
    assert RunRequest().starting_rev is NOT_GIVEN and RunRequest().start is None


def test_a_request_is_frozen() -> None:
    request = RunRequest(Migrate("upgrade", "head"), as_sql=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.as_sql = False  # type: ignore[misc]
    assert request.with_options({"tag": "x"}) == dataclasses.replace(request, tag="x")
    assert request.tag is None


def test_each_action_plans_on_a_real_database(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    project.add("aaa111", None, "one", 'op.execute("CREATE TABLE t1 (id INTEGER)")')
    project.add("bbb222", "aaa111", "two", 'op.execute("CREATE TABLE t2 (id INTEGER)")')
    script = ScriptDirectory.from_config(project.config())
    seen: list[tuple[str, ...]] = []
    engine = project.engine()
    with engine.connect() as connection:
        for request, rows in [
            (RunRequest(Inspect(lambda heads, ctx: seen.append(heads))), set()),
            (RunRequest(CreateVersionTable()), set()),
            (RunRequest(Migrate("upgrade", "aaa111")), {"aaa111"}),
            (RunRequest(Stamp(("bbb222",))), {"bbb222"}),
            (RunRequest(Stamp(("aaa111",)), purge=True), {"aaa111"}),
            (RunRequest(Migrate("downgrade", "base")), set()),
        ]:
            migration_context = MigrationContext.configure(
                connection, request=dataclasses.replace(request, script=script)
            )
            migration_context.run_migrations()
            connection.commit()
            assert project.rows() == rows, request
    engine.dispose()
    assert seen == [()]
    # aaa111's downgrade() is `pass`: its table stays; bbb222 was only stamped
    assert project.tables() == {"alembic_version", "t1"}


def test_inspect_without_version_table_changes_nothing(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    engine = project.engine()
    seen: list[tuple[str, ...]] = []
    with engine.connect() as connection:
        request = RunRequest(Inspect(lambda heads, ctx: seen.append(heads)))
        MigrationContext.configure(
            connection, request=dataclasses.replace(request, create_version_table=False)
        ).run_migrations()
        connection.commit()
    engine.dispose()
    assert seen == [()]
    assert project.tables() == set()


def test_application_passes_alembic_opts_to_migration_context(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    project.add("aaa111", None, "one", 'op.execute("CREATE TABLE t1 (id INTEGER)")')
    script = ScriptDirectory.from_config(project.config())
    calls: list[tuple[str, ...]] = []

    def plan(heads: tuple[str, ...], ctx: MigrationContext) -> list[Step]:
        calls.append(heads)
        return [up("aaa111")]

    engine = project.engine()
    with engine.connect() as connection:
        migration_context = MigrationContext.configure(
            connection, opts={"fn": plan, "script": script, "version_table": "myver"}
        )
        assert migration_context.script is script
        assert migration_context.as_sql is False and migration_context.purge is False
        assert "fn" not in migration_context.opts and "script" not in migration_context.opts
        assert migration_context.opts["version_table"] == "myver"
        migration_context.run_migrations()
        connection.commit()
    engine.dispose()
    assert calls == [()]
    assert project.rows("myver") == {"aaa111"}
    assert project.tables() == {"myver", "t1"}


def test_offline_opts_start_from_the_given_revision(tmp_path: Path) -> None:
    project = Project(tmp_path, "sqlite://")
    project.add("aaa111", None, "one", 'op.execute("CREATE TABLE t1 (id INTEGER)")')
    project.add("bbb222", "aaa111", "two", 'op.execute("CREATE TABLE t2 (id INTEGER)")')
    script = ScriptDirectory.from_config(project.config())
    buffer = io.StringIO()
    migration_context = MigrationContext.configure(
        dialect_name="postgresql",
        opts={
            "as_sql": True,
            "script": script,
            "starting_rev": "aaa1",
            "fn": lambda heads, ctx: script.graph.upgrade_plan(heads, "head"),
            "output_buffer": buffer,
        },
    )
    assert migration_context.get_current_heads() == ("aaa111",)
    migration_context.run_migrations()
    output = buffer.getvalue()
    assert "CREATE TABLE t2" in output and "CREATE TABLE t1" not in output
    assert "UPDATE alembic_version SET version_num='bbb222'" in output


def test_environment_context_as_pytest_alembic_builds_it(tmp_path: Path, db_url: str) -> None:
    """EnvironmentContext(config, script, fn=..., destination_rev=..., dont_mutate=...)."""
    project = Project(tmp_path, db_url)
    project.add("aaa111", None, "one")
    answers: dict[str, Any] = {}

    def hook(ctx: Any) -> None:
        answers.update(destination=ctx.get_revision_argument(), offline=ctx.is_offline_mode())

    config = project.config(hook=hook)
    script = ScriptDirectory.from_config(config)
    seen: list[tuple[str, ...]] = []

    def look(heads: tuple[str, ...], ctx: MigrationContext) -> list[Step]:
        seen.append(heads)
        return []

    with EnvironmentContext(config, script, fn=look, destination_rev=None, dont_mutate=True):
        script.run_env()
    assert seen == [()] and answers == {"destination": None, "offline": False}
    assert project.tables() == set()

    def upgrade(heads: tuple[str, ...], ctx: MigrationContext) -> list[Step]:
        return script.graph.upgrade_plan(heads, "aaa111")

    with EnvironmentContext(config, script, fn=upgrade, destination_rev="aaa111"):
        script.run_env()
    assert answers == {"destination": "aaa111", "offline": False}
    assert project.rows() == {"aaa111"}


def test_environment_context_takes_a_request_or_alembic_keywords(tmp_path: Path) -> None:
    project = Project(tmp_path, "sqlite://")
    config = project.config()
    script = ScriptDirectory.from_config(config)
    with pytest.raises(TypeError, match=r"request= and as_sql, fn"):
        EnvironmentContext(config, script, request=RunRequest(), fn=no_plan, as_sql=True)
    environment = EnvironmentContext(
        config, script, request=RunRequest(Migrate("upgrade", "head")), version_table="v"
    )
    assert environment.request.script is script
    assert environment.context_opts == {"version_table": "v"}
    assert not hasattr(environment, "run_env")


def test_configure_in_env_py_overrides_start_and_tag(tmp_path: Path) -> None:
    project = Project(tmp_path, "sqlite://")
    config = project.config()
    script = ScriptDirectory.from_config(config)
    request = RunRequest(Migrate("upgrade", "head"), as_sql=True, starting_rev=None, tag="a")
    with EnvironmentContext(config, script, request=request):
        assert context.get_tag_argument() == "a"
        assert context.get_starting_revision_argument() is None
        context.configure(
            dialect_name="sqlite", starting_rev="base", tag="b", output_buffer=io.StringIO()
        )
        assert context.get_tag_argument() == "b"
        assert context.get_context().request.start == "base"
        assert context.get_context().request.tag == "b"


def test_commands_leave_the_database_alone_when_only_looking(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    project.add("aaa111", None, "one")
    config = project.config()
    config.stdout = io.StringIO()
    command.current(config)
    command.history(config, indicate_current=True)
    command.show(config, "current")
    command.history(config, rev_range="current:")
    assert project.tables() == set()
    assert config.stdout.getvalue() == "<base> -> aaa111 (head), one\n" * 2
