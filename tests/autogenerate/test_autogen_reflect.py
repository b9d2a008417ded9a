"""Reflection in bulk: the number of queries does not grow with the number of tables;
the engine is not imported by commands that do not autogenerate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


@pytest.mark.parametrize("count", [3, 60])
def test_sqlite_query_count_does_not_grow_with_tables(tmp_path: Path, count: int) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    create(url, _tables(count))
    statements, tables = _queries(url)
    assert tables == count
    assert statements <= 15


_SQLITE_SCHEMA = (
    "CREATE TABLE parent (id INTEGER PRIMARY KEY, code VARCHAR(10) UNIQUE, x INT)",
    'CREATE TABLE "Mixed Case" (id INTEGER, "a b" TEXT DEFAULT \'x\', '
    'CONSTRAINT pk_mixed PRIMARY KEY (id), CONSTRAINT uq_ab UNIQUE ("a b"))',
    "CREATE TABLE child (id INTEGER NOT NULL, parent_id INT REFERENCES parent (id) "
    "ON DELETE CASCADE, other INT, note TEXT CHECK (length(note) < 5), "
    "total INT GENERATED ALWAYS AS (id + other) STORED, "
    "CONSTRAINT fk_other FOREIGN KEY (other) REFERENCES parent (code), "
    "PRIMARY KEY (id)) WITHOUT ROWID",
    "CREATE TABLE bare (v BLOB)",
    "CREATE INDEX ix_child_note ON child (note) WHERE note IS NOT NULL",
    "CREATE INDEX ix_child_expr ON child (lower(note))",
    "CREATE UNIQUE INDEX ix_parent_x ON parent (x DESC, code)",
    "CREATE VIEW v_parent AS SELECT id, code FROM parent",
    "CREATE TEMP TABLE scratch (id INTEGER PRIMARY KEY, parent_id INT REFERENCES parent (id))",
    "CREATE INDEX temp.ix_scratch ON scratch (parent_id)",
    "CREATE TEMP TABLE child (id INTEGER, shadow TEXT)",
)


def _everything(inspector: sa.Inspector) -> list[object]:
    """Every answer autogenerate and SQLAlchemy's own reflection ask the inspector for."""
    kinds = [sa.engine.ObjectKind.ANY]
    scopes = [sa.engine.ObjectScope.ANY, sa.engine.ObjectScope.TEMPORARY]
    found: list[object] = []
    for kind in kinds:
        for scope in scopes:
            kw = {"kind": kind, "scope": scope}
            found += [
                inspector.get_multi_columns(**kw),
                inspector.get_multi_pk_constraint(**kw),
                inspector.get_multi_foreign_keys(**kw),
                inspector.get_multi_indexes(**kw),
                inspector.get_multi_unique_constraints(**kw),
                inspector.get_multi_check_constraints(**kw),
                inspector.get_multi_table_options(**kw),
            ]
    for name in ("parent", "Mixed Case", "child", "bare", "scratch", "v_parent", "MIXED CASE"):
        for method in ("get_columns", "get_indexes", "get_foreign_keys", "has_table"):
            try:
                found.append(getattr(inspector, method)(name))
            except sa.exc.NoSuchTableError as error:  # the same error from both is fine
                found.append(f"{method}: {error!r}")
    found.append(inspector.has_table("missing"))
    return [repr(_plain(item)) for item in found]


def _plain(value: object) -> object:
    """`value` with SQL text as its string (a TextClause's repr is its address)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, sa.TextClause):
        return f"text({value.text!r})"
    return value


def test_sqlite_bulk_inspector_answers_as_sqlalchemy_does(tmp_path: Path) -> None:
    from distill.dialects import impl_class_for

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        with engine.connect() as connection:
            for statement in _SQLITE_SCHEMA:
                connection.exec_driver_sql(statement)
            with pytest.warns(sa.exc.SAWarning, match="expression-based index"):
                expected = _everything(sa.inspect(connection))
            bulk = impl_class_for(connection.dialect).bulk_inspector(connection)
            with pytest.warns(sa.exc.SAWarning, match="expression-based index"):
                actual = _everything(bulk)
    finally:
        engine.dispose()
    assert actual == expected
    assert "ix_child_note" in "".join(expected) and "scratch" in "".join(expected)
