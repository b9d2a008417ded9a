"""Each kind of change autogenerate detects, on SQLite, PostgreSQL and MariaDB.

Every test builds the database from one MetaData, compares another with it, and checks
the diffs distill reports; where Alembic 1.20.1 detects the same change, its diffs are
checked to be the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from support.autogen import alembic_diffs, create, distill_diffs, execute, normalised

Build = Callable[..., sa.MetaData]


def _account(**changes: Any) -> sa.MetaData:
    """An `account` table; keyword arguments change one column or option."""
    metadata = sa.MetaData()
    columns = {
        "id": sa.Column("id", sa.Integer, primary_key=True),
        "name": sa.Column("name", sa.String(50), nullable=True),
        "age": sa.Column("age", sa.Integer),
    }
    for name, column in changes.pop("columns", {}).items():
        if column is None:
            columns.pop(name)
        else:
            columns[name] = column
    sa.Table("account", metadata, *columns.values(), *changes.pop("extra", ()), **changes)
    return metadata


def _same_as_alembic(url: str, metadata: sa.MetaData, **opts: Any) -> list[Any]:
    ours = normalised(distill_diffs(url, metadata, **opts))
    theirs = normalised(alembic_diffs(url, metadata, **opts))
    assert ours == theirs
    return ours


def test_nothing_changed_reports_nothing(db_url: str) -> None:
    create(db_url, _account())
    assert _same_as_alembic(db_url, _account()) == []


def test_table_added(db_url: str) -> None:
    create(db_url, _account())
    after = _account()
    sa.Table("post", after, sa.Column("id", sa.Integer, primary_key=True))
    assert _same_as_alembic(db_url, after) == [("add_table", None, "post")]


def test_table_removed(db_url: str) -> None:
    before = _account()
    sa.Table("post", before, sa.Column("id", sa.Integer, primary_key=True))
    create(db_url, before)
    assert _same_as_alembic(db_url, _account()) == [("remove_table", None, "post")]


def test_column_added(db_url: str) -> None:
    create(db_url, _account())
    after = _account(columns={"email": sa.Column("email", sa.String(100))})
    assert _same_as_alembic(db_url, after) == [("add_column", None, "account", "email")]


def test_column_removed(db_url: str) -> None:
    create(db_url, _account())
    assert _same_as_alembic(db_url, _account(columns={"age": None})) == [
        ("remove_column", None, "account", "age")
    ]


def test_type_changed(db_url: str) -> None:
    create(db_url, _account())
    after = _account(columns={"name": sa.Column("name", sa.String(80))})
    assert _same_as_alembic(db_url, after) == [("modify_type", "account", "name")]


def test_type_callable_decides(db_url: str) -> None:
    create(db_url, _account())
    after = _account(columns={"name": sa.Column("name", sa.String(80))})
    seen: list[str] = []

    def never(
        context: Any, inspected: Any, metadata: Any, inspected_type: Any, metadata_type: Any
    ) -> bool:
        seen.append(metadata.name)
        return False

    assert distill_diffs(db_url, after, compare_type=never) == []
    assert "name" in seen
    assert distill_diffs(db_url, after, compare_type=False) == []


def test_nullability(db_url: str) -> None:
    create(db_url, _account())
    after = _account(columns={"name": sa.Column("name", sa.String(50), nullable=False)})
    assert _same_as_alembic(db_url, after) == [("modify_nullable", "account", "name", True, False)]


def test_server_default_added_changed_and_dropped(db_url: str) -> None:
    before = _account(columns={"age": sa.Column("age", sa.Integer, server_default="1")})
    create(db_url, before)
    assert distill_diffs(db_url, before, compare_server_default=True) == []
    changed = _account(
        columns={
            "name": sa.Column("name", sa.String(50), server_default="x"),
            "age": sa.Column("age", sa.Integer, server_default="2"),
        }
    )
    assert normalised(distill_diffs(db_url, changed, compare_server_default=True)) == [
        ("modify_default", "account", "age"),
        ("modify_default", "account", "name"),
    ]
    dropped = _account()
    assert normalised(distill_diffs(db_url, dropped, compare_server_default=True)) == [
        ("modify_default", "account", "age")
    ]
    # off by default, as in Alembic
    assert distill_diffs(db_url, changed) == []


def test_server_default_callable(db_url: str) -> None:
    create(db_url, _account())
    after = _account(columns={"age": sa.Column("age", sa.Integer, server_default="7")})
    calls: list[tuple[Any, ...]] = []

    def hook(context: Any, inspected: Any, metadata: Any, inspected_default: Any,
             metadata_default: Any, rendered: Any) -> bool:  # fmt: skip
        calls.append((inspected_default, rendered))
        return False

    assert distill_diffs(db_url, after, compare_server_default=hook) == []
    assert (None, "'7'") in calls


def test_primary_key_changed(db_url: str) -> None:
    create(db_url, _account())
    after = _account(
        columns={
            "id": sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            "age": sa.Column("age", sa.Integer, primary_key=True, autoincrement=False),
        }
    )
    kinds = [diff[0] for diff in normalised(distill_diffs(db_url, after))]
    assert "add_constraint" in kinds and "remove_constraint" in kinds


def test_index_added_and_removed(db_url: str) -> None:
    create(db_url, _account(extra=[sa.Index("ix_account_age", "age")]))
    after = _account(extra=[sa.Index("ix_account_name_age", "name", "age")])
    assert _same_as_alembic(db_url, after) == [
        ("add_index", "account", "ix_account_name_age", ("name", "age"), False),
        ("remove_index", "account", "ix_account_age", ("age",), False),
    ]


def test_index_made_unique(db_url: str) -> None:
    create(db_url, _account(extra=[sa.Index("ix_account_age", "age")]))
    after = _account(extra=[sa.Index("ix_account_age", "age", unique=True)])
    assert _same_as_alembic(db_url, after) == [
        ("add_index", "account", "ix_account_age", ("age",), True),
        ("remove_index", "account", "ix_account_age", ("age",), False),
    ]


def test_unique_constraint_added_and_removed(db_url: str) -> None:
    create(db_url, _account(extra=[sa.UniqueConstraint("age", name="uq_age")]))
    after = _account(extra=[sa.UniqueConstraint("name", name="uq_name")])
    removed = (
        # MariaDB's unique constraint is a unique index, and is dropped as one
        ("remove_index", "account", "uq_age", ("age",), True)
        if db_url.startswith("mysql")
        else ("remove_constraint", "account", "uq_age", "UniqueConstraint", ("age",))
    )
    assert _same_as_alembic(db_url, after) == [
        ("add_constraint", "account", "uq_name", "UniqueConstraint", ("name",)),
        removed,
    ]


def _post(**fk_options: Any) -> sa.MetaData:
    metadata = _account()
    sa.Table(
        "post",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("account.id", name="fk_post_account", **fk_options),
        ),
    )
    return metadata


def test_foreign_key_added_and_removed(db_url: str) -> None:
    before = _account()
    sa.Table(
        "post",
        before,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer),
    )
    create(db_url, before)
    kinds = [diff[0] for diff in _same_as_alembic(db_url, _post())]
    assert kinds == ["add_fk"]


def test_foreign_key_ondelete_onupdate(db_url: str) -> None:
    create(db_url, _post())
    after = _post(ondelete="CASCADE", onupdate="CASCADE")
    assert [diff[0] for diff in _same_as_alembic(db_url, after)] == ["add_fk", "remove_fk"]
    execute(db_url, *_recreate_post_statements(db_url))
    assert distill_diffs(db_url, after) == []


def _recreate_post_statements(url: str) -> list[str]:
    metadata = _post(ondelete="CASCADE", onupdate="CASCADE")
    engine = sa.create_engine(url)
    from sqlalchemy.schema import CreateTable

    table = metadata.tables["post"]
    statements = ["DROP TABLE post", str(CreateTable(table).compile(dialect=engine.dialect))]
    engine.dispose()
    return statements


@pytest.mark.postgres
def test_foreign_key_deferrable(pg_url: str) -> None:
    create(pg_url, _post())
    after = _post(deferrable=True, initially="DEFERRED")
    assert [diff[0] for diff in normalised(distill_diffs(pg_url, after))] == ["add_fk", "remove_fk"]


def test_check_constraint_added_and_removed(db_url: str) -> None:
    create(db_url, _account(extra=[sa.CheckConstraint("age > 0", name="ck_age")]))
    after = _account(extra=[sa.CheckConstraint("age < 200", name="ck_age_max")])
    # Alembic never compares check constraints (a deliberate difference)
    assert normalised(distill_diffs(db_url, after)) == [
        ("add_constraint", "account", "ck_age_max", "CheckConstraint", ()),
        ("remove_constraint", "account", "ck_age", "CheckConstraint", ()),
    ]
    assert alembic_diffs(db_url, after) == []
    assert (
        distill_diffs(db_url, _account(extra=[sa.CheckConstraint("age > 0", name="ck_age")])) == []
    )


def test_table_and_column_comments(db_url: str) -> None:
    create(db_url, _account())
    after = _account(
        comment="people", columns={"name": sa.Column("name", sa.String(50), comment="full name")}
    )
    found = _same_as_alembic(db_url, after)
    if db_url.startswith("sqlite"):
        assert found == []  # SQLite keeps no comments
    else:
        assert found == [
            ("add_table_comment", "account"),
            ("modify_comment", "account", "name", None, "full name"),
        ]


@pytest.mark.postgres
def test_partial_and_expression_indexes_postgresql(pg_url: str) -> None:
    before = _account()
    table = before.tables["account"]
    sa.Index("ix_big", table.c.age, postgresql_where=table.c.age > 10)
    sa.Index("ix_lower", sa.func.lower(table.c.name))
    create(pg_url, before)
    assert distill_diffs(pg_url, before) == []
    after = _account()
    table = after.tables["account"]
    sa.Index("ix_big", table.c.age, postgresql_where=table.c.age > 20)
    sa.Index("ix_lower", sa.func.upper(table.c.name))
    assert normalised(distill_diffs(pg_url, after)) == [
        ("add_index", "account", "ix_big", ("age",), False),
        ("add_index", "account", "ix_lower", ("upper(account.name)",), False),
        ("remove_index", "account", "ix_big", ("age",), False),
        ("remove_index", "account", "ix_lower", ("lower(name::text)",), False),
    ]


@pytest.mark.postgres
def test_index_method_postgresql(pg_url: str) -> None:
    create(pg_url, _account(extra=[sa.Index("ix_age", "age")]))
    after = _account(extra=[sa.Index("ix_age", "age", postgresql_using="hash")])
    assert [d[0] for d in normalised(distill_diffs(pg_url, after))] == ["add_index", "remove_index"]


def test_partial_index_sqlite(sqlite_url: str) -> None:
    before = _account()
    sa.Index(
        "ix_big", before.tables["account"].c.age, sqlite_where=before.tables["account"].c.age > 10
    )
    create(sqlite_url, before)
    assert distill_diffs(sqlite_url, before) == []
    after = _account()
    sa.Index(
        "ix_big", after.tables["account"].c.age, sqlite_where=after.tables["account"].c.age > 20
    )
    assert [d[0] for d in normalised(distill_diffs(sqlite_url, after))] == [
        "add_index",
        "remove_index",
    ]


@pytest.mark.mysql
def test_index_prefix_length_mysql(mysql_url: str) -> None:
    create(mysql_url, _account(extra=[sa.Index("ix_name", "name", mysql_length=10)]))
    assert (
        distill_diffs(mysql_url, _account(extra=[sa.Index("ix_name", "name", mysql_length=10)]))
        == []
    )
    after = _account(extra=[sa.Index("ix_name", "name", mysql_length=20)])
    assert [d[0] for d in normalised(distill_diffs(mysql_url, after))] == [
        "add_index",
        "remove_index",
    ]


@pytest.mark.postgres
def test_identity_postgresql(pg_url: str) -> None:
    before = _account(columns={"age": sa.Column("age", sa.Integer, sa.Identity(start=1))})
    create(pg_url, before)
    assert distill_diffs(pg_url, before) == []
    after = _account(columns={"age": sa.Column("age", sa.Integer, sa.Identity(start=5))})
    assert normalised(distill_diffs(pg_url, after)) == [("modify_default", "account", "age")]


def test_computed_column_kept_and_change_warned(db_url: str) -> None:
    before = _account(
        columns={"twice": sa.Column("twice", sa.Integer, sa.Computed("age * 2", persisted=True))}
    )
    create(db_url, before)
    assert distill_diffs(db_url, before) == []
    after = _account(
        columns={"twice": sa.Column("twice", sa.Integer, sa.Computed("age * 3", persisted=True))}
    )
    with pytest.warns(UserWarning, match="cannot be modified"):
        assert distill_diffs(db_url, after) == []


@pytest.mark.postgres
def test_enum_values_added_and_type_no_longer_used(pg_url: str) -> None:
    before = _account(
        columns={
            "mood": sa.Column("mood", sa.Enum("sad", "ok", name="mood")),
            "size": sa.Column("size", sa.Enum("s", "m", name="size")),
        }
    )
    create(pg_url, before)
    assert distill_diffs(pg_url, before) == []
    after = _account(
        columns={"mood": sa.Column("mood", sa.Enum("sad", "ok", "happy", name="mood"))}
    )
    found = normalised(distill_diffs(pg_url, after))
    assert ("remove_column", None, "account", "size") in found
    diffs = distill_diffs(pg_url, after)
    assert ("modify_enum", None, "mood", ("sad", "ok"), ("sad", "ok", "happy")) in diffs
    assert ("remove_enum", None, "size", ("s", "m")) in diffs


@pytest.mark.postgres
def test_other_schemas_with_include_schemas(pg_url: str) -> None:
    execute(pg_url, "CREATE SCHEMA extra", "CREATE TABLE extra.old (id INTEGER PRIMARY KEY)")
    create(pg_url, _account())
    after = _account()
    sa.Table("new", after, sa.Column("id", sa.Integer, primary_key=True), schema="extra")
    assert _same_as_alembic(pg_url, after, include_schemas=True) == [
        ("add_table", "extra", "new"),
        ("remove_table", "extra", "old"),
    ]
    # without include_schemas the other schema is left alone
    assert normalised(distill_diffs(pg_url, _account())) == []


def test_version_table_never_reported(db_url: str) -> None:
    create(db_url, _account())
    execute(db_url, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    assert distill_diffs(db_url, _account()) == []


def test_include_object_and_include_name(db_url: str) -> None:
    before = _account()
    sa.Table("skip_me", before, sa.Column("id", sa.Integer, primary_key=True))
    create(db_url, before)
    after = _account(columns={"email": sa.Column("email", sa.String(20))})

    def include_name(name: Any, type_: str, parents: Any) -> bool:
        return not (type_ == "table" and name == "skip_me")

    def include_object(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        return not (type_ == "column" and name == "email")

    opts = {"include_name": include_name, "include_object": include_object}
    assert _same_as_alembic(db_url, after, **opts) == []
