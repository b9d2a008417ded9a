"""distill from an application: the Python API, async engines, loggers, Alembic-style code."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.cli_project import new_project, ok, tables, versions, write_revision

from distill import command
from distill.config import Config

CREATE = 'op.create_table("thing", sa.Column("id", sa.Integer, primary_key=True))'


def _set_url(project: Path, url: str) -> None:
    """Point the project's distill.ini at `url`."""
    ini = project / "distill.ini"
    lines = [
        f"sqlalchemy.url = {url}" if line.startswith("sqlalchemy.url") else line
        for line in ini.read_text().splitlines()
    ]
    ini.write_text("\n".join(lines) + "\n")


def test_command_api_keeps_the_applications_loggers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = new_project(tmp_path)
    write_revision(project, "aaa111", None, CREATE)
    app_logger = logging.getLogger("myapp.service")
    monkeypatch.chdir(project)
    command.upgrade(Config(str(project / "distill.ini")), "head")
    assert app_logger.disabled is False
    assert versions(f"sqlite:///{project / 'app.db'}") == ["aaa111"]


def test_shared_connection_from_application(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = new_project(tmp_path, db_url)
    write_revision(project, "aaa111", None, CREATE, 'op.drop_table("thing")')
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as connection:
            config = Config(str(project / "distill.ini"))
            config.attributes["connection"] = connection
            monkeypatch.chdir(project)
            command.upgrade(config, "head")
        assert versions(db_url) == ["aaa111"]
        assert "thing" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_async_template_on_postgresql_and_sqlite(tmp_path: Path, pg_url: str) -> None:
    for name, url in [
        ("pg", pg_url.replace("+psycopg", "+asyncpg")),
        ("lite", f"sqlite+aiosqlite:///{tmp_path / 'async.db'}"),
    ]:
        project = tmp_path / name
        project.mkdir()
        ok(project, "init", "-t", "async", "migrations")
        _set_url(project, url)
        write_revision(project, "aaa111", None, CREATE, 'op.drop_table("thing")')
        ok(project, "upgrade", "head")
        sync_url = url.replace("+asyncpg", "+psycopg").replace("+aiosqlite", "")
        assert versions(sync_url) == ["aaa111"]
        ok(project, "downgrade", "base")
        assert versions(sync_url) == []


def test_alembic_style_application_code_runs_under_the_drop_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code written against alembic.command/alembic.config, served by distill."""
    from distill import compat

    project = new_project(tmp_path)
    write_revision(project, "aaa111", None, CREATE)
    monkeypatch.chdir(project)
    with compat.alembic_names():
        from alembic import command as alembic_command
        from alembic.config import Config as AlembicConfig
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        config = AlembicConfig(str(project / "distill.ini"))
        alembic_command.upgrade(config, "head")
        engine = sa.create_engine(f"sqlite:///{project / 'app.db'}")
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert context.get_current_revision() == "aaa111"
        engine.dispose()
        assert ScriptDirectory.from_config(config).get_current_head() == "aaa111"


def test_distill_command_is_the_one_command_module() -> None:
    import importlib.util

    from distill import compat

    assert importlib.util.find_spec("distill.commands") is None
    with compat.alembic_names():
        from alembic import command as alembic_command

        assert alembic_command is command


def test_prepend_sys_path_applies_while_env_py_and_revisions_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = new_project(tmp_path)
    ini = project / "distill.ini"
    ini.write_text(
        ini.read_text().replace("prepend_sys_path = .", "prepend_sys_path = %(here)s/app_code")
    )
    (project / "app_code").mkdir()
    (project / "app_code" / "prepended_env_helper.py").write_text("TABLE = 'from_env'\n")
    (project / "app_code" / "prepended_rev_helper.py").write_text("TABLE = 'from_rev'\n")
    env_py = project / "migrations" / "env.py"
    env_py.write_text(
        "import prepended_env_helper\n"
        + env_py.read_text()
        + "\nassert prepended_env_helper.TABLE == 'from_env'\n"
    )
    write_revision(
        project,
        "aaa111",
        None,
        "import prepended_rev_helper; op.create_table(prepended_rev_helper.TABLE, "
        'sa.Column("id", sa.Integer, primary_key=True))',
    )
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = list(sys.path)
    try:
        command.upgrade(Config(str(ini)), "head")
    finally:
        for name in ("prepended_env_helper", "prepended_rev_helper"):
            sys.modules.pop(name, None)
    assert sys.path == before
    assert tables(f"sqlite:///{project / 'app.db'}") == ["alembic_version", "from_rev"]
