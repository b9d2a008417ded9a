"""The version table: Alembic's DDL, and the rows after every move of ALEMBIC-FACTS §3.3/§3.4."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from distill.errors import DistillError
from distill.runtime.sink import ConnectionSink, ScriptOutput, ScriptSink
from distill.runtime.version_table import VersionTable

CREATE = (
    "CREATE TABLE alembic_version (\n"
    "    version_num VARCHAR(32) NOT NULL, \n"
    "    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
    ");\n\n"
)


@pytest.fixture
def connection(db_url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def script_sink(dialect_name: str) -> tuple[ScriptSink, io.StringIO]:
    buffer = io.StringIO()
    dialect = sa.make_url(f"{dialect_name}://").get_dialect()()
    return ScriptSink(dialect, ScriptOutput(buffer), literal_binds=True), buffer


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql", "mysql"])
def test_create_statement_is_alembics(dialect_name: str) -> None:
    sink, buffer = script_sink(dialect_name)
    sink.execute(VersionTable().create_statement())
    assert buffer.getvalue() == CREATE


def test_custom_name_schema_and_no_primary_key() -> None:
    sink, buffer = script_sink("postgresql")
    sink.execute(VersionTable("myver", schema="s").create_statement())
    assert "CREATE TABLE s.myver" in buffer.getvalue()
    assert "CONSTRAINT myver_pkc PRIMARY KEY (version_num)" in buffer.getvalue()
    sink, buffer = script_sink("postgresql")
    sink.execute(VersionTable(primary_key=False).create_statement())
    assert "PRIMARY KEY" not in buffer.getvalue()


def test_offline_statements_inline_the_versions() -> None:
    sink, buffer = script_sink("postgresql")
    table = VersionTable()
    table.apply(sink, (), ("aaa111",))
    table.apply(sink, ("aaa111",), ("bbb222",))
    table.apply(sink, ("ccc111", "ccc333"), ("mmm999",))
    table.apply(sink, ("mmm999",), ("ccc111", "ccc333"))
    table.apply(sink, ("aaa111",), ())
    assert buffer.getvalue().split("\n\n")[:-1] == [
        "INSERT INTO alembic_version (version_num) VALUES ('aaa111') "
        "RETURNING alembic_version.version_num;",
        "UPDATE alembic_version SET version_num='bbb222' "
        "WHERE alembic_version.version_num = 'aaa111';",
        "DELETE FROM alembic_version WHERE alembic_version.version_num = 'ccc111';",
        "UPDATE alembic_version SET version_num='mmm999' "
        "WHERE alembic_version.version_num = 'ccc333';",
        "INSERT INTO alembic_version (version_num) VALUES ('ccc111') "
        "RETURNING alembic_version.version_num;",
        "UPDATE alembic_version SET version_num='ccc333' "
        "WHERE alembic_version.version_num = 'mmm999';",
        "DELETE FROM alembic_version WHERE alembic_version.version_num = 'aaa111';",
    ]


def rows(connection: sa.Connection, table: VersionTable) -> set[str]:
    return set(table.read(connection))


# (removes, adds, rows after): the history of ALEMBIC-FACTS §3.3 and §3.4, in order
MOVES = [
    ((), ("aaa111",), {"aaa111"}),  # first upgrade from empty
    (("aaa111",), ("bbb222",), {"bbb222"}),  # linear step
    (("bbb222",), ("ccc111",), {"ccc111"}),  # one side of a branchpoint
    ((), ("ccc333",), {"ccc111", "ccc333"}),  # second branch, parent no longer a row
    (("ccc111", "ccc333"), ("mmm999",), {"mmm999"}),  # merge
    (("mmm999",), ("ccc111", "ccc333"), {"ccc111", "ccc333"}),  # downgrade out of the merge
    (("ccc111",), (), {"ccc333"}),  # branch whose parent another row still holds
    ((), ("sss001",), {"ccc333", "sss001"}),  # a new independent root
    (("ccc333",), ("ddd444",), {"ddd444", "sss001"}),  # stamp: the other row is kept
    (("ddd444", "sss001"), (), set()),  # stamp base: one DELETE per row
]


def test_rows_after_every_move(connection: sa.Connection) -> None:
    table = VersionTable()
    sink = ConnectionSink(connection)
    assert table.read(connection) == ()
    connection.rollback()
    with connection.begin():
        sink.execute(table.create_statement())
    for removes, adds, expected in MOVES:
        with connection.begin():
            table.apply(sink, removes, adds)
        assert rows(connection, table) == expected, (removes, adds)
        connection.rollback()


def test_purge_then_stamp_several(connection: sa.Connection) -> None:
    table = VersionTable("myver", primary_key=False)
    sink = ConnectionSink(connection)
    with connection.begin():
        sink.execute(table.create_statement())
        table.apply(sink, (), ("a1",))
        table.apply(sink, (), ("b1",))
    with connection.begin():
        table.purge(sink)
        table.apply(sink, (), ("ccc111", "ccc333"))
    assert rows(connection, table) == {"ccc111", "ccc333"}
    assert sa.inspect(connection).get_pk_constraint("myver")["constrained_columns"] == []


@pytest.mark.parametrize(
    ("removes", "adds", "message"),
    [
        (("zzz999",), ("bbb222",), "when updating 'zzz999' to 'bbb222' in 'alembic_version'; 0"),
        (("zzz999",), (), "when deleting 'zzz999' in 'alembic_version'; 0 found"),
    ],
)
def test_online_update_or_delete_must_match_one_row(
    connection: sa.Connection, removes: tuple[str, ...], adds: tuple[str, ...], message: str
) -> None:
    table = VersionTable()
    sink = ConnectionSink(connection)
    with connection.begin():
        sink.execute(table.create_statement())
        table.apply(sink, (), ("aaa111",))
    with pytest.raises(DistillError) as caught, connection.begin():
        table.apply(sink, removes, adds)
    assert f"Online migration expected to match one row {message}" in str(caught.value)
    assert "distill stamp" in str(caught.value)


def test_schema_qualified_table(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.connect() as connection:
        with connection.begin():
            connection.exec_driver_sql("CREATE SCHEMA s")
        table = VersionTable(schema="s")
        sink = ConnectionSink(connection)
        with connection.begin():
            sink.execute(table.create_statement())
            table.apply(sink, (), ("aaa111",))
        assert table.read(connection) == ("aaa111",)
        assert not sa.inspect(connection).has_table("alembic_version")
        assert sa.inspect(connection).has_table("alembic_version", schema="s")
    engine.dispose()


def statements_sent(
    connection: sa.Connection, moves: list[tuple[tuple[str, ...], ...]]
) -> list[str]:
    """The SQL text the driver received while `moves` (removes, adds) were applied."""
    sent: list[str] = []

    def record(conn: object, cursor: object, statement: str, *rest: object) -> None:
        sent.append(statement)

    table = VersionTable()
    sink = ConnectionSink(connection)
    with connection.begin():
        sink.execute(table.create_statement())
    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        with connection.begin():
            for removes, adds in moves:
                table.apply(sink, removes, adds)
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)
    return sent


def test_online_steps_send_the_statements_compiled_for_the_dialect(
    connection: sa.Connection,
) -> None:
    # UPDATE and DELETE come from a template compiled once; the driver must receive
    # exactly the text compiling each statement gives, and the rows must be right
    moves = [(removes, adds) for removes, adds, _ in MOVES]
    sent = statements_sent(connection, moves)
    table = VersionTable()
    expected = []
    for removes, adds in moves:
        kinds = [("delete", old, "") for old in (removes[:-1] if adds else removes)]
        kinds += [("insert", "", new) for new in (adds[:-1] if removes else adds)]
        if removes and adds:
            kinds.append(("update", removes[-1], adds[-1]))
        for kind, old, new in kinds:
            compiled = table._statement(kind, old, new).compile(dialect=connection.dialect)
            expected.append(str(compiled))
    updates_and_deletes = [s for s in expected if not s.startswith("INSERT")]
    assert [s for s in sent if not s.startswith("INSERT")] == updates_and_deletes
    assert len(updates_and_deletes) == 9
    assert table.read(connection) == ()


def test_unusual_ids_take_the_compiled_path(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        sent = statements_sent(connection, [((), ("it's",)), (("it's",), ("a:b%c",))])
        assert table_rows(connection) == ["a:b%c"]
    engine.dispose()
    assert sent[-1] == "UPDATE alembic_version SET version_num='a:b%c' WHERE " + (
        "alembic_version.version_num = 'it''s'"
    )


def table_rows(connection: sa.Connection) -> list[str]:
    return list(VersionTable().read(connection))


def test_schema_translate_map_still_applies(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.connect() as plain:
        with plain.begin():
            plain.exec_driver_sql("CREATE SCHEMA tenant")
        connection = plain.execution_options(schema_translate_map={None: "tenant"})
        statements_sent(connection, [((), ("aaa111",)), (("aaa111",), ("bbb222",))])
        found = plain.exec_driver_sql("SELECT version_num FROM tenant.alembic_version").all()
        assert [row[0] for row in found] == ["bbb222"]
        assert not sa.inspect(plain).has_table("alembic_version")
    engine.dispose()
