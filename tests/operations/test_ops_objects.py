"""Op objects as data: constructors, reverse(), describe(), diff tuples, schema objects."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.sql.elements import conv

from distill import op
from distill.errors import DistillError
from distill.operations import MigrateOperation, ops
from distill.operations.ops import NotReversible


class Opts:
    """The one attribute naming conventions are read from."""

    def __init__(self, **opts: Any) -> None:
        self.opts = opts


CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


def account_table() -> sa.Table:
    return sa.Table(
        "account",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("account.id")),
        sa.UniqueConstraint("name", name="uq_name"),
        schema="app",
        comment="accounts",
        mysql_engine="InnoDB",
    )


def test_ops_are_frozen_and_compare_by_identity() -> None:
    add = ops.AddColumnOp("t", sa.Column("x", sa.Integer))
    with pytest.raises(dataclasses.FrozenInstanceError):
        add.table_name = "u"  # type: ignore[misc]
    twin = ops.AddColumnOp("t", add.column)
    assert add != twin and add == add
    assert {add, twin} == {add, twin}  # hashable, so autogenerate can keep sets of them


def test_constructors_keep_alembic_keyword_arguments() -> None:
    index = ops.CreateIndexOp("ix", "t", ["a"], unique=True, postgresql_using="gin")
    assert index.kw == {"postgresql_using": "gin"} and index.unique is True
    table = ops.CreateTableOp(
        "t", [sa.Column("a", sa.Integer)], schema="s", comment="c", info={"k": 1}, prefixes=["X"]
    )
    assert (table.comment, table.info, table.prefixes, table.kw) == ("c", {"k": 1}, ("X",), {})
    drop = ops.DropColumnOp("t", "a", schema="s", if_exists=True, mssql_drop_default=True)
    assert drop.kw == {"mssql_drop_default": True} and drop.if_exists is True


@pytest.mark.parametrize(
    "name",
    [
        "AlterTableOp",
        "CreateTableOp",
        "DropTableOp",
        "AddColumnOp",
        "DropColumnOp",
        "CreateIndexOp",
        "DropIndexOp",
        "ExecuteSQLOp",
        "BulkInsertOp",
        "RenameTableOp",
        "AlterColumnOp",
        "CreateUniqueConstraintOp",
        "CreateForeignKeyOp",
        "CreateCheckConstraintOp",
        "CreatePrimaryKeyOp",
        "DropConstraintOp",
        "CreateTableCommentOp",
        "DropTableCommentOp",
        "CreateExcludeConstraintOp",
    ],
)
def test_constructor_signatures_match_alembic(name: str) -> None:
    from alembic.ddl import postgresql as alembic_postgresql
    from alembic.operations import ops as alembic_ops

    reference = getattr(alembic_ops, name, None) or getattr(alembic_postgresql, name)
    ours = inspect.signature(getattr(ops, name).__init__).parameters
    theirs = inspect.signature(reference.__init__).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == [
        (p.name, p.kind, p.default) for p in theirs.values()
    ]


def test_describe_is_one_line_per_op() -> None:
    column = sa.Column("email", sa.String(100))
    described = [
        ops.CreateTableOp("account", [], schema="app").describe(),
        ops.DropTableOp("account").describe(),
        ops.AddColumnOp("account", column).describe(),
        ops.DropColumnOp("account", "email", schema="app").describe(),
        ops.CreateIndexOp("ix_e", "account", ["email", sa.text("lower(name)")]).describe(),
        ops.CreateIndexOp(None, "account", ["email"], unique=True).describe(),
        ops.DropIndexOp("ix_e", "account").describe(),
        ops.DropIndexOp("ix_e").describe(),
        ops.ExecuteSQLOp("UPDATE account\n   SET  name = 'x'").describe(),
        ops.ExecuteSQLOp("SELECT " + "x, " * 40 + "y").describe(),
        ops.BulkInsertOp(sa.table("account"), [{}, {}]).describe(),
        ops.BulkInsertOp(sa.table("account"), [{}]).describe(),
    ]
    assert described == [
        "Create table app.account",
        "Drop table account",
        "Add column email to account",
        "Drop column email from app.account",
        "Create index ix_e on account (email, lower(name))",
        "Create unique index (unnamed) on account (email)",
        "Drop index ix_e on account",
        "Drop index ix_e",
        "Execute SQL: UPDATE account SET name = 'x'",
        "Execute SQL: " + ("SELECT " + "x, " * 40)[:57] + "...",
        "Insert 2 rows into account",
        "Insert 1 row into account",
    ]
    assert all("\n" not in line for line in described)


def test_create_table_reverses_to_drop_table_and_back() -> None:
    create = ops.CreateTableOp.from_table(account_table())
    drop = create.reverse()
    assert isinstance(drop, ops.DropTableOp)
    assert (drop.table_name, drop.schema) == ("account", "app")
    assert drop.table_kw["comment"] == "accounts" and drop.table_kw["mysql_engine"] == "InnoDB"
    again = drop.reverse()
    assert isinstance(again, ops.CreateTableOp)
    table = again.to_table()
    assert [c.name for c in table.columns] == ["id", "name", "parent_id"]
    assert {c.name for c in table.constraints} >= {"uq_name"}
    assert table.comment == "accounts" and table.schema == "app"
    assert table.kwargs == {"mysql_engine": "InnoDB"}


def test_add_column_reverses_to_drop_column_and_back() -> None:
    column = sa.Column("email", sa.String(100), nullable=False)
    add = ops.AddColumnOp("account", column, schema="app")
    drop = add.reverse()
    assert isinstance(drop, ops.DropColumnOp)
    assert (drop.table_name, drop.column_name, drop.schema) == ("account", "email", "app")
    assert drop.to_column() is column
    back = drop.reverse()
    assert isinstance(back, ops.AddColumnOp) and back.column is column and back.schema == "app"


def test_create_index_reverses_to_drop_index_and_back() -> None:
    create = ops.CreateIndexOp("ix_name", "account", ["name", "id"], unique=True, schema="s")
    drop = create.reverse()
    assert isinstance(drop, ops.DropIndexOp)
    assert (drop.index_name, drop.table_name, drop.schema) == ("ix_name", "account", "s")
    assert drop.reverse() is create
    index = drop.to_index()
    assert [c.name for c in index.columns] == ["name", "id"] and index.unique


def test_unnamed_index_reverses_to_the_name_the_convention_gives_it() -> None:
    drop = ops.CreateIndexOp(None, "account", ["email"]).reverse()
    assert drop.index_name == "ix_account_email"


def test_drops_without_a_definition_are_not_reversible() -> None:
    for drop in (
        ops.DropTableOp("account"),
        ops.DropColumnOp("account", "email"),
        ops.DropIndexOp("ix_email", "account"),
        ops.ExecuteSQLOp("DELETE FROM account"),
        ops.BulkInsertOp(sa.table("account"), []),
    ):
        with pytest.raises(NotReversible, match="by hand") as raised:
            drop.reverse()
        # Alembic-era code catches NotImplementedError; the CLI catches DistillError
        assert isinstance(raised.value, NotImplementedError)
        assert isinstance(raised.value, DistillError)
        assert drop.describe() in str(raised.value)


def test_drops_built_from_schema_objects_are_reversible() -> None:
    table = account_table()
    index = sa.Index("ix_parent", table.c.parent_id, unique=False)
    drop_index = ops.DropIndexOp.from_index(index)
    assert (drop_index.table_name, drop_index.schema) == ("account", "app")
    assert drop_index.reverse().describe() == "Create index ix_parent on app.account (parent_id)"
    drop_column = ops.DropColumnOp.from_column_and_tablename("app", "account", table.c.name)
    assert drop_column.reverse().column is table.c.name
    assert ops.AddColumnOp.from_column(table.c.name).schema == "app"


def test_plugin_operations_subclass_migrate_operation() -> None:
    class Grant(MigrateOperation):
        def __init__(self, role: str) -> None:
            self.role = role

    with pytest.raises(NotReversible, match="Grant"):
        Grant("reader").reverse()
    assert Grant("reader").describe() == "Grant"


def test_diff_tuples_follow_alembic() -> None:
    column = sa.Column("email", sa.String(100))
    assert ops.AddColumnOp("t", column, schema="s").to_diff_tuple() == (
        "add_column",
        "s",
        "t",
        column,
    )
    kind, table = ops.CreateTableOp("t", [sa.Column("a", sa.Integer)]).to_diff_tuple()
    assert kind == "add_table" and isinstance(table, sa.Table) and table.name == "t"
    assert ops.DropTableOp("t").to_diff_tuple()[0] == "remove_table"
    assert ops.DropColumnOp("t", "a").to_diff_tuple()[:3] == ("remove_column", None, "t")
    assert ops.CreateIndexOp("ix", "t", ["a"]).to_diff_tuple()[0] == "add_index"
    assert ops.DropIndexOp("ix", "t").to_diff_tuple()[0] == "remove_index"


def post_op() -> ops.CreateTableOp:
    return ops.CreateTableOp(
        "post",
        [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")),
            sa.Column("slug", sa.String(20), unique=True),
            sa.Column("title", sa.String(20), index=True),
            sa.CheckConstraint("id > 0", name="positive"),
        ],
    )


def test_to_table_names_constraints_by_the_configured_convention() -> None:
    context = Opts(target_metadata=sa.MetaData(naming_convention=CONVENTION))
    create = post_op()
    table = create.to_table(context)
    names = {c.name for c in table.constraints} | {i.name for i in table.indexes}
    assert names == {
        "pk_post",
        "fk_post_account_id_account",
        "uq_post_slug",
        "ix_post_title",
        "ck_post_positive",
    }
    # building again (reverse(), a second run) gives the same names
    again = create.to_table(context)
    assert {c.name for c in again.constraints} | {i.name for i in again.indexes} == names
    # without a configured convention SQLAlchemy's default applies (indexes only)
    plain = post_op().to_table(Opts())
    assert {i.name for i in plain.indexes} == {"ix_post_title"}
    assert {c.name for c in plain.constraints} == {None, "positive"}


def test_index_names_follow_the_convention_unless_marked_with_f() -> None:
    context = Opts(target_metadata=sa.MetaData(naming_convention=CONVENTION))
    assert ops.CreateIndexOp(None, "post", ["a", "b"]).to_index(context).name == "ix_post_a_b"
    kept = ops.CreateIndexOp(op.f("my_index"), "post", ["a"]).to_index(context).name
    assert kept == "my_index" and isinstance(op.f("my_index"), conv)


def test_a_list_of_metadata_lends_no_convention() -> None:
    context = Opts(target_metadata=[sa.MetaData(naming_convention=CONVENTION)])
    table = ops.CreateTableOp("t", [sa.Column("id", sa.Integer, primary_key=True)]).to_table(
        context
    )
    assert table.primary_key.name is None


def test_to_table_copies_columns_already_in_a_table() -> None:
    source = account_table()
    table = ops.CreateTableOp("copy", [source.c.id, source.c.parent_id]).to_table()
    assert table.c.id is not source.c.id and source.c.id.table is source
    assert "account" in table.metadata.tables  # the FK target is stubbed, not required


def test_foreign_key_targets_are_stubbed_in_other_schemas() -> None:
    column = sa.Column("owner_id", sa.Integer, sa.ForeignKey("auth.user.id"))
    table = ops.CreateTableOp("doc", [column]).to_table()
    fk = next(iter(table.foreign_keys))
    assert (fk.column.table.schema, fk.column.table.name, fk.column.name) == (
        "auth",
        "user",
        "id",
    )


def test_create_index_accepts_names_text_and_expressions() -> None:
    other = sa.Table("account", sa.MetaData(), sa.Column("name", sa.String))
    index = ops.CreateIndexOp(
        "ix",
        "account",
        ["email", sa.text("lower(name)"), sa.func.upper(other.c.name), sa.desc("id")],
    ).to_index()
    assert index.table is not None and index.table is not other
    assert index.table.name == "account" and {"email", "name"} <= set(index.table.c.keys())
    # a lone string is one column, not a sequence of one-letter columns
    assert ops.CreateIndexOp("ix", "t", "email").columns == ("email",)  # type: ignore[arg-type]
    with pytest.raises(DistillError, match="neither a column name nor a SQL expression"):
        ops.CreateIndexOp("ix", "t", [42]).to_index()  # type: ignore[list-item]


def test_from_index_needs_a_table() -> None:
    with pytest.raises(DistillError, match="belongs to no table"):
        ops.CreateIndexOp.from_index(sa.Index("ix", "a"))


def test_reverse_of_create_table_is_the_drop_alembic_builds() -> None:
    # CreateTableOp.reverse() fills table_kw and _reverse on first use; they must equal
    # DropTableOp.from_table(op.to_table()), and other missing attributes still raise
    import sqlalchemy as sa

    from distill.operations.ops import CreateTableOp, DropTableOp

    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("p", sa.ForeignKey("q.id")),
        comment="c",
        mysql_engine="InnoDB",
    )
    create = CreateTableOp.from_table(table)
    drop = create.reverse()
    eager = DropTableOp.from_table(create.to_table())
    assert type(drop) is DropTableOp
    assert (drop.table_name, drop.schema, drop.if_exists) == ("t", None, None)
    assert (
        drop.table_kw
        == eager.table_kw
        == {
            "comment": "c",
            "info": {},
            "prefixes": [],
            "mysql_engine": "InnoDB",
        }
    )
    assert drop.reverse() is drop._reverse
    ddl = [str(sa.schema.CreateTable(op.to_table())) for op in (drop, eager)]
    assert ddl[0] == ddl[1]
    assert "REFERENCES q (id)" in ddl[0]
    with pytest.raises(AttributeError):
        drop.no_such_attribute  # noqa: B018
