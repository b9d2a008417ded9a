"""Offline (--sql) scripts: exactly the text Alembic writes (ALEMBIC-FACTS §11)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from support.failures import failure_text
from support.runtime_project import Project

from distill import command
from distill.errors import DistillError

URLS = {
    "sqlite": "sqlite:///offline.db",
    "postgresql": "postgresql://scott@nowhere/db",
    "mysql": "mysql://scott@nowhere/db",
}

VERSION_TABLE = (
    "CREATE TABLE alembic_version (\n"
    "    version_num VARCHAR(32) NOT NULL, \n"
    "    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
    ");\n\n"
)

RETURNING = {
    "sqlite": " RETURNING version_num",
    "postgresql": " RETURNING alembic_version.version_num",
    "mysql": "",
}


def project_for(tmp_path: Path, dialect: str) -> Project:
    project = Project(tmp_path, URLS[dialect])
    project.add(
        "aaa111",
        None,
        "create account table",
        'op.execute("CREATE TABLE account (\\n\\tid INTEGER\\n)")',
        'op.execute("DROP TABLE account")',
    )
    project.add(
        "bbb222",
        "aaa111",
        "add a row",
        'op.execute(sa.text("INSERT INTO account (id) VALUES (:i)").bindparams(i=5))',
        'op.execute("DELETE FROM account")',
    )
    return project


def offline(project: Project, verb: str, target: str, **attributes: object) -> str:
    buffer = io.StringIO()
    config = project.config(**attributes)
    config.output_buffer = buffer
    getattr(command, verb)(config, target, sql=True)
    return buffer.getvalue()


def upgrade_script(dialect: str) -> str:
    begin, commit = ("BEGIN;\n\n", "COMMIT;\n\n") if dialect in TRANSACTIONAL else ("", "")
    return (
        begin
        + VERSION_TABLE
        + "-- Running upgrade  -> aaa111\n\n"
        + "CREATE TABLE account (\n    id INTEGER\n);\n\n"
        + "INSERT INTO alembic_version (version_num) VALUES ('aaa111')"
        + RETURNING[dialect]
        + ";\n\n"
        + "-- Running upgrade aaa111 -> bbb222\n\n"
        + "INSERT INTO account (id) VALUES (5);\n\n"
        + "UPDATE alembic_version SET version_num='bbb222' "
        + "WHERE alembic_version.version_num = 'aaa111';\n\n"
        + commit
    )


# Alembic writes no BEGIN/COMMIT into SQLite scripts (ALEMBIC-FACTS §11); distill does,
# because its SQLite DDL is transactional: the script is atomic like the online run.
TRANSACTIONAL = ("postgresql", "sqlite")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_upgrade_from_base(tmp_path: Path, dialect: str) -> None:
    assert offline(project_for(tmp_path, dialect), "upgrade", "head") == upgrade_script(dialect)


def test_upgrade_from_a_revision_omits_the_version_table(tmp_path: Path) -> None:
    script = offline(project_for(tmp_path, "postgresql"), "upgrade", "aaa111:bbb222")
    assert script == (
        "BEGIN;\n\n"
        "-- Running upgrade aaa111 -> bbb222\n\n"
        "INSERT INTO account (id) VALUES (5);\n\n"
        "UPDATE alembic_version SET version_num='bbb222' "
        "WHERE alembic_version.version_num = 'aaa111';\n\n"
        "COMMIT;\n\n"
    )


def test_downgrade_to_base(tmp_path: Path) -> None:
    script = offline(project_for(tmp_path, "postgresql"), "downgrade", "bbb222:base")
    assert script == (
        "BEGIN;\n\n"
        "-- Running downgrade bbb222 -> aaa111\n\n"
        "DELETE FROM account;\n\n"
        "UPDATE alembic_version SET version_num='aaa111' "
        "WHERE alembic_version.version_num = 'bbb222';\n\n"
        "-- Running downgrade aaa111 -> \n\n"
        "DROP TABLE account;\n\n"
        "DELETE FROM alembic_version WHERE alembic_version.version_num = 'aaa111';\n\n"
        "COMMIT;\n\n"
    )


def test_stamp(tmp_path: Path) -> None:
    project = project_for(tmp_path, "postgresql")
    assert offline(project, "stamp", "aaa111") == (
        "BEGIN;\n\n" + VERSION_TABLE + "-- Running stamp_revision  -> aaa111\n\n"
        "INSERT INTO alembic_version (version_num) VALUES ('aaa111') "
        "RETURNING alembic_version.version_num;\n\n"
        "COMMIT;\n\n"
    )
    assert offline(project, "stamp", "bbb222:base") == (
        "BEGIN;\n\n"
        "-- Running stamp_revision bbb222 -> \n\n"
        "DELETE FROM alembic_version WHERE alembic_version.version_num = 'bbb222';\n\n"
        "COMMIT;\n\n"
    )


def test_transaction_per_migration(tmp_path: Path) -> None:
    script = offline(
        project_for(tmp_path, "postgresql"),
        "upgrade",
        "head",
        configure={"transaction_per_migration": True},
    )
    assert script.count("BEGIN;") == 2
    assert script.count("COMMIT;") == 2
    first, second = script.split("COMMIT;\n\n")[:2]
    assert first.startswith("BEGIN;\n\nCREATE TABLE alembic_version")
    assert "-- Running upgrade  -> aaa111" in first
    assert second.startswith("BEGIN;\n\n-- Running upgrade aaa111 -> bbb222")


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_autocommit_block(tmp_path: Path, dialect: str) -> None:
    project = Project(tmp_path, URLS[dialect])
    project.add(
        "aaa111",
        None,
        "enum value",
        """
        op.execute("SELECT 1")
        with op.get_context().autocommit_block():
            op.execute("ALTER TYPE mood ADD VALUE 'soso'")
        op.execute("SELECT 2")
        """,
    )
    script = offline(project, "upgrade", "aaa111")
    block = "SELECT 1;\n\nALTER TYPE mood ADD VALUE 'soso';\n\nSELECT 2;\n\n"
    if dialect in TRANSACTIONAL:
        block = (
            "SELECT 1;\n\nCOMMIT;\n\nALTER TYPE mood ADD VALUE 'soso';\n\nBEGIN;\n\nSELECT 2;\n\n"
        )
    assert block in script


def test_static_output_and_execute_where_called(tmp_path: Path) -> None:
    project = project_for(tmp_path, "postgresql")

    def hook(context: object) -> None:
        context.static_output("-- generated for the release")  # type: ignore[attr-defined]
        context.execute("SET lock_timeout = '2s'")  # type: ignore[attr-defined]

    script = offline(project, "upgrade", "aaa111", hook=hook)
    assert script.startswith(
        "-- generated for the release\n\nSET lock_timeout = '2s';\n\nBEGIN;\n\nCREATE TABLE"
    )


def test_bind_is_a_mock_connection_writing_to_the_script(tmp_path: Path) -> None:
    project = Project(tmp_path, URLS["postgresql"])
    project.add("aaa111", None, "bind", 'op.get_bind().execute(sa.text("SELECT 42"))')
    assert "-- Running upgrade  -> aaa111\n\nSELECT 42;\n\n" in offline(
        project, "upgrade", "aaa111"
    )


def test_parameters_without_literal_binds_are_refused(tmp_path: Path) -> None:
    project = Project(tmp_path, URLS["postgresql"])
    project.add("aaa111", None, "params", 'op.get_bind().execute(sa.text("SELECT :x"), {"x": 1})')
    with pytest.raises(Exception) as caught:
        offline(project, "upgrade", "aaa111")
    assert "SQL parameters not allowed with as_sql" in failure_text(caught.value)
    assert "offline --sql" in failure_text(caught.value)
    assert isinstance(caught.value, DistillError)


def test_output_encoding_writes_bytes(tmp_path: Path) -> None:
    project = Project(tmp_path, URLS["sqlite"])
    project.add("aaa111", None, "accents", "op.execute(\"INSERT INTO t VALUES ('café')\")")
    buffer = io.BytesIO()
    config = project.config(configure={"output_encoding": "latin-1"})
    config.output_buffer = buffer  # type: ignore[assignment]
    command.upgrade(config, "aaa111", sql=True)
    assert "INSERT INTO t VALUES ('café');".encode("latin-1") in buffer.getvalue()


def test_custom_version_table(tmp_path: Path) -> None:
    script = offline(
        project_for(tmp_path, "postgresql"),
        "upgrade",
        "aaa111",
        configure={"version_table": "myver", "version_table_schema": "ops"},
    )
    assert "CREATE TABLE ops.myver (" in script
    assert "CONSTRAINT myver_pkc PRIMARY KEY (version_num)" in script
    assert "INSERT INTO ops.myver (version_num) VALUES ('aaa111')" in script
