"""batch_alter_table against real databases: the same batch run by Alembic and by distill
gives the same schema and rows on SQLite; PostgreSQL and MariaDB get plain ALTERs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import DatabaseFactory
from support.op_runs import ConnectionSink, online, snapshot
from support.sqlite_rebuild import make_library, migration, reflected, rows, state, table_sql

from distill.errors import DistillError

SHOP = [
    "CREATE TABLE org (id INTEGER PRIMARY KEY, title TEXT)",
    """CREATE TABLE account (
        id INTEGER PRIMARY KEY,
        name VARCHAR(50) NOT NULL,
        email VARCHAR(100),
        flag BOOLEAN,
        org_id INTEGER REFERENCES org(id),
        amount TEXT,
        UNIQUE (email)
    )""",
    "CREATE INDEX ix_account_name ON account (name)",
    "INSERT INTO org VALUES (1, 'o1'), (2, 'o2')",
    """INSERT INTO account VALUES
        (1, 'a', 'a@x', 1, 1, '5'), (2, 'b', NULL, 0, 2, '7'), (3, 'c', 'c@x', NULL, NULL, '9')""",
]

CONVENTION = {
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
}


def shop(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for statement in SHOP:
            connection.exec_driver_sql(statement)
    return engine


def run_with_alembic(engine: sa.Engine, body: Callable[[Any], None]) -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations as AlembicOperations

    with engine.begin() as connection:
        body(AlembicOperations(MigrationContext.configure(connection)))


def run_with_distill(engine: sa.Engine, body: Callable[[Any], None]) -> None:
    with engine.connect() as connection, migration(connection) as op:
        body(op)


def _many_changes(op: Any) -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.alter_column("name", type_=sa.String(80), nullable=True)
        batch_op.add_column(sa.Column("age", sa.Integer, server_default="0"), insert_after="name")
        batch_op.alter_column("email", new_column_name="mail")
        batch_op.drop_column("flag")
        batch_op.alter_column("amount", type_=sa.Integer)
        batch_op.create_index("ix_age", ["age"])
        batch_op.drop_index("ix_account_name")
        batch_op.create_unique_constraint("uq_name", ["name"])
        batch_op.create_check_constraint("ck_age", "age >= 0")


def _drop_unnamed_with_convention(op: Any) -> None:
    with op.batch_alter_table("account", naming_convention=CONVENTION) as batch_op:
        batch_op.drop_constraint("fk_account_org_id_org", type_="foreignkey")
        batch_op.drop_constraint("uq_account_email", type_="unique")


def _reorder(op: Any) -> None:
    with op.batch_alter_table(
        "account", recreate="always", partial_reordering=[("email", "name", "id")]
    ):
        pass


def _reflect_and_table_args(op: Any) -> None:
    with op.batch_alter_table(
        "account",
        reflect_args=[sa.Column("flag", sa.Boolean(create_constraint=True, name="ck_flag"))],
        table_args=[sa.CheckConstraint("length(name) > 0", name="ck_name")],
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.alter_column("email", server_default="none")


def _copy_from(op: Any) -> None:
    table = sa.Table(
        "account",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("email", sa.String(100), unique=True),
        sa.Column("flag", sa.Boolean),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("org.id")),
        sa.Column("amount", sa.Text),
        sa.Index("ix_account_name", "name"),
    )
    with op.batch_alter_table("account", copy_from=table) as batch_op:
        batch_op.alter_column("amount", new_column_name="total", type_=sa.Numeric(10, 2))
        batch_op.add_column(sa.Column("owner_id", sa.Integer))
        batch_op.create_foreign_key("fk_owner", "org", ["owner_id"], ["id"], ondelete="CASCADE")


def _execute_then_tighten(op: Any) -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.execute("UPDATE account SET email = 'none' WHERE email IS NULL")
        batch_op.alter_column("email", nullable=False)
        batch_op.create_table_comment("accounts")


def _always_add(op: Any) -> None:
    with op.batch_alter_table("account", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text), insert_before="name")


@pytest.mark.parametrize(
    "body",
    [
        _many_changes,
        _drop_unnamed_with_convention,
        _reorder,
        _reflect_and_table_args,
        _copy_from,
        _execute_then_tighten,
        _always_add,
    ],
    ids=lambda body: body.__name__.strip("_"),
)
def test_batch_gives_what_alembic_gives(tmp_path: Path, body: Callable[[Any], None]) -> None:
    alembic_db, distill_db = shop(tmp_path / "alembic.db"), shop(tmp_path / "distill.db")
    run_with_alembic(alembic_db, body)
    run_with_distill(distill_db, body)
    with alembic_db.connect() as theirs, distill_db.connect() as ours:
        assert reflected(ours) == reflected(theirs)


def test_dropping_an_unnamed_constraint_needs_a_naming_convention(tmp_path: Path) -> None:
    def body(op: Any) -> None:
        with op.batch_alter_table("account") as batch_op:
            batch_op.drop_constraint("fk_account_org_id_org", type_="foreignkey")

    engine = shop(tmp_path / "shop.db")
    with pytest.raises(ValueError, match="No such constraint: 'fk_account_org_id_org'"):
        run_with_alembic(engine, body)
    with engine.connect() as connection:
        before = state(connection)
    with pytest.raises(DistillError) as error:
        run_with_distill(engine, body)
    message = str(error.value)
    assert "No such constraint: 'fk_account_org_id_org' on table account" in message
    assert "The table has 2 unnamed constraint(s)" in message
    assert "batch_alter_table(..., naming_convention=" in message
    with engine.connect() as connection:
        assert state(connection) == before


def test_recreate_never_only_alters(tmp_path: Path) -> None:
    engine = shop(tmp_path / "shop.db")
    with pytest.raises(DistillError) as error:
        run_with_distill(
            engine,
            lambda op: _in_batch(op, "never", lambda b: b.alter_column("name", nullable=True)),
        )
    assert "recreate='never', which allows ALTER statements only" in str(error.value)
    run_with_distill(
        engine, lambda op: _in_batch(op, "never", lambda b: b.add_column(sa.Column("x", sa.Text)))
    )
    with engine.connect() as connection:
        assert "x TEXT" in table_sql(connection, "account")


def _in_batch(op: Any, recreate: str, change: Callable[[Any], None]) -> None:
    with op.batch_alter_table("account", recreate=recreate) as batch_op:
        change(batch_op)


def test_batch_on_sqlite_keeps_views_triggers_and_foreign_keys(sqlite_url: str) -> None:
    """Alembic's rebuild fails here ("error in view"); distill's keeps them all."""
    engine = make_library(sqlite_url)
    with engine.connect() as connection:
        before = state(connection)
        with migration(connection) as op, op.batch_alter_table("author") as batch_op:
            batch_op.alter_column("name", new_column_name="full_name")
            batch_op.alter_column("bio", type_=sa.Text)
            batch_op.drop_column("code")
            batch_op.create_unique_constraint("uq_author_email", ["email"])
        after = state(connection)
        assert after["rows"]["book"] == before["rows"]["book"]
        assert len(after["rows"]["author"]) == 3
        assert ("ada", "engines") in rows(connection, "SELECT * FROM author_books")
        assert "new.full_name" in table_sql(connection, "author_added")
        assert "CONSTRAINT uq_author_email UNIQUE (email)" in table_sql(connection, "author")
        assert {"ux_author_name", "ix_author_good", "ix_author_lower", "ix_author_email"} <= {
            name for kind, name, _, _ in after["objects"] if kind == "index"
        }
        assert rows(connection, "PRAGMA foreign_key_check") == []


def test_batch_failure_on_sqlite_changes_nothing(sqlite_url: str) -> None:
    engine = make_library(sqlite_url)
    with engine.connect() as connection:
        before = state(connection)
        with (
            pytest.raises(DistillError, match="but 2 of its 3 rows hold NULL"),
            migration(connection) as op,
            op.batch_alter_table("author") as batch_op,
        ):
            batch_op.add_column(sa.Column("note", sa.Text))
            batch_op.alter_column("bio", nullable=False)
        assert state(connection) == before


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_batch_runs_plain_alters_where_the_backend_has_them(
    backend: str, new_database: DatabaseFactory
) -> None:
    engine = sa.create_engine(new_database(backend), poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE account (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL,"
            " email VARCHAR(100))"
        )
        connection.exec_driver_sql("INSERT INTO account VALUES (1, 'a', 'a@x'), (2, 'b', NULL)")
    with engine.begin() as connection, online(connection) as op:
        with op.batch_alter_table("account") as batch_op:
            batch_op.add_column(sa.Column("age", sa.Integer))
            batch_op.alter_column(
                "name", type_=sa.String(80), existing_type=sa.String(50), existing_nullable=False
            )
            batch_op.alter_column("email", new_column_name="mail", existing_type=sa.String(100))
            batch_op.create_unique_constraint("uq_account_mail", ["mail"])
            batch_op.create_index("ix_account_age", ["age"])
        statements = [
            str(s.compile(dialect=connection.dialect))
            for s in op.impl.sink.statements  # type: ignore[attr-defined]
        ]
    assert isinstance(op.impl.sink, ConnectionSink)
    assert statements and not any("_alembic_tmp" in s or "CREATE TABLE" in s for s in statements)
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        columns = {c["name"]: c for c in inspector.get_columns("account")}
        assert list(columns) == ["id", "name", "mail", "age"]
        assert str(columns["name"]["type"]).startswith("VARCHAR(80)")
        assert [u["name"] for u in inspector.get_unique_constraints("account")] == [
            "uq_account_mail"
        ]
        assert rows(connection, "SELECT id, name, mail FROM account ORDER BY id") == [
            (1, "a", "a@x"),
            (2, "b", None),
        ]
    engine.dispose()


def test_snapshot_sorts_named_and_unnamed_uniques(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE t (a INTEGER, b INTEGER, CONSTRAINT uq_a UNIQUE (a), UNIQUE (b))"
        )
        uniques = snapshot(connection)["t"]["uniques"]
    engine.dispose()
    assert uniques == [(None, ("b",)), ("uq_a", ("a",))]
