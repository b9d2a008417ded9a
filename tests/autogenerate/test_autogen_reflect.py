"""Reflection in bulk: the number of queries does not grow with the number of tables;
the engine is not imported by commands that do not autogenerate."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from support.autogen import connect, create

from distill.autogenerate.reflect import reflect_database


def _tables(count: int) -> sa.MetaData:
    metadata = sa.MetaData()
    for number in range(count):
        sa.Table(
            f"t{number:04d}",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(20), index=True),
            sa.Column("parent_id", sa.Integer, sa.ForeignKey("t0000.id")),
            sa.UniqueConstraint("name", "parent_id"),
        )
    return metadata


def _queries(url: str) -> tuple[int, int]:
    with connect(url) as connection:
        statements: list[str] = []
        sa.event.listen(
            connection, "before_cursor_execute", lambda *args: statements.append(args[2])
        )
        database = reflect_database(connection, [None])
        return len(statements), len(database.tables)


def _small_and_large(new_database: object, server: str) -> tuple[int, int]:
    small, large = new_database(server), new_database(server)  # type: ignore[operator]
    create(small, _tables(3))
    create(large, _tables(60))
    small_count, small_tables = _queries(small)
    large_count, large_tables = _queries(large)
    assert (small_tables, large_tables) == (3, 60)
    return small_count, large_count


@pytest.mark.postgres
def test_postgresql_query_count_does_not_grow_with_tables(new_database: object) -> None:
    small_count, large_count = _small_and_large(new_database, "postgresql")
    assert large_count == small_count <= 15


@pytest.mark.mysql
def test_mysql_reads_each_table_once_for_every_kind(new_database: object) -> None:
    # SQLAlchemy's MySQL dialect parses one SHOW CREATE TABLE per table and serves every
    # kind of object from it: one query per table, never one per table and kind
    small_count, large_count = _small_and_large(new_database, "mysql")
    assert large_count - small_count == 57


def test_version_table_is_not_reflected(db_url: str) -> None:
    create(db_url, _tables(2))
    with connect(db_url) as connection:
        connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        connection.commit()
        database = reflect_database(connection, [None])
    assert sorted(name for _, name in database.tables) == ["t0000", "t0001"]


def test_commands_that_do_not_autogenerate_do_not_import_the_engine() -> None:
    probe = (
        "import sys, distill.cli, distill.command, distill.autogenerate, distill.compat\n"
        "with distill.compat.alembic_names():\n"
        "    import alembic.autogenerate\n"
        "print(sorted(m for m in sys.modules if m.startswith('distill.autogenerate.')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout
    for engine_module in ("compare", "render", "reflect", "api"):
        assert f"distill.autogenerate.{engine_module}'" not in loaded
