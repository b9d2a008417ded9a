"""The issue-4 op objects as data: reverse(), describe(), from_constraint(), diff tuples."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ExcludeConstraint

from distill.dialects.alteration import ColumnAlteration
from distill.errors import DistillError
from distill.operations import ops
from distill.operations.ops import NotReversible


class Opts:
    def __init__(self, **opts: Any) -> None:
        self.opts = opts


def test_rename_table_reverses_to_the_old_name() -> None:
    rename = ops.RenameTableOp("account", "customer", schema="app")
    back = rename.reverse()
    assert (back.table_name, back.new_table_name, back.schema) == ("customer", "account", "app")
    assert rename.describe() == "Rename table app.account to customer"


def test_alter_column_reverse_swaps_modify_and_existing() -> None:
    change = ops.AlterColumnOp(
        "t",
        "a",
        schema="s",
        modify_type=sa.Integer,
        existing_type=sa.String(10),
        modify_nullable=False,
        modify_server_default="0",
        existing_server_default=None,
        modify_comment="new",
        existing_comment="old",
        modify_name="b",
        postgresql_using="a::integer",
    )
    back = change.reverse()
    assert (back.table_name, back.column_name, back.schema, back.modify_name) == (
        "t",
        "b",
        "s",
        "a",
    )
    assert isinstance(back.modify_type, sa.String) and back.modify_type.length == 10
    assert back.existing_type is sa.Integer  # kept as given, like Alembic
    assert back.modify_nullable is True and back.existing_nullable is False
    assert back.modify_server_default is None and back.existing_server_default == "0"
    assert (back.modify_comment, back.existing_comment) == ("old", "new")
    assert "postgresql_using" not in back.kw  # it converts to the new type only
    again = back.reverse()
    assert (again.column_name, again.modify_name, again.modify_nullable) == ("a", "b", False)


def test_alter_column_reverse_needs_what_was_there() -> None:
    with pytest.raises(NotReversible, match=r"previous existing_type is unknown"):
        ops.AlterColumnOp("t", "a", modify_type=sa.Integer).reverse()
    with pytest.raises(NotReversible, match="existing_server_default"):
        ops.AlterColumnOp("t", "a", modify_server_default="1").reverse()
    # nullability alone can be undone: it was the opposite
    assert ops.AlterColumnOp("t", "a", modify_nullable=False).reverse().modify_nullable is True


def test_alter_column_reverse_swaps_dialect_modify_options() -> None:
    change = ops.AlterColumnOp(
        "t", "id", existing_type=sa.Integer(), autoincrement=True, existing_autoincrement=False
    )
    assert change.reverse().kw == {"autoincrement": False, "existing_autoincrement": True}


def test_alter_column_becomes_a_column_alteration() -> None:
    change = ops.AlterColumnOp(
        "t",
        "a",
        modify_type=sa.String,
        existing_nullable=False,
        autoincrement=True,
        mysql_charset="utf8mb4",
    )
    alteration = change.to_alteration()
    assert isinstance(alteration, ColumnAlteration)
    assert isinstance(alteration.type_, sa.String)
    assert (alteration.autoincrement, alteration.kw) == (True, {"mysql_charset": "utf8mb4"})
    assert alteration.changes_type and not alteration.changes_default
    assert not alteration.changes_comment and not alteration.changes_name
    column = alteration.column_after()
    assert (column.name, column.nullable, column.table.name) == ("a", False, "t")
    assert change.has_changes() and not ops.AlterColumnOp("t", "a").has_changes()


def test_describe_is_one_line_per_op() -> None:
    described = [
        ops.AlterColumnOp(
            "t", "a", modify_type=sa.Integer, modify_nullable=False, modify_name="b"
        ).describe(),
        ops.AlterColumnOp("t", "a", modify_server_default=None, modify_comment=None).describe(),
        ops.AlterColumnOp("t", "a", modify_server_default=sa.text("now()")).describe(),
        ops.CreateUniqueConstraintOp("uq", "t", ["a", "b"], schema="s").describe(),
        ops.CreateCheckConstraintOp(None, "t", "a >\n 0").describe(),
        ops.CreatePrimaryKeyOp("pk", "t", ["id"]).describe(),
        ops.CreateForeignKeyOp("fk", "t", "r", ["r_id"], ["id"], referent_schema="x").describe(),
        ops.CreateExcludeConstraintOp("ex", "t", [("a", "=")]).describe(),
        ops.DropConstraintOp("uq", "t", type_="unique").describe(),
        ops.DropConstraintOp("c", "t", schema="s").describe(),
        ops.CreateTableCommentOp("t", "x").describe(),
        ops.DropTableCommentOp("t").describe(),
    ]
    assert described == [
        "Alter column a on t: type INTEGER, not nullable, rename to b",
        "Alter column a on t: drop default, drop comment",
        "Alter column a on t: default now()",
        "Create unique constraint uq on s.t (a, b)",
        "Create check constraint (unnamed) on t: a > 0",
        "Create primary key pk on t (id)",
        "Create foreign key fk on t (r_id) -> x.r (id)",
        "Create exclude constraint ex on t",
        "Drop unique constraint uq on t",
        "Drop constraint c on s.t",
        "Set comment on table t",
        "Drop comment on table t",
    ]


def test_add_constraint_ops_reverse_to_drops_and_back() -> None:
    creates: list[ops.AddConstraintOp] = [
        ops.CreateUniqueConstraintOp("uq", "t", ["a"], schema="s"),
        ops.CreateCheckConstraintOp("ck", "t", "a > 0"),
        ops.CreatePrimaryKeyOp("pk", "t", ["id"]),
        ops.CreateForeignKeyOp("fk", "t", "r", ["r_id"], ["id"], source_schema="s"),
        ops.CreateExcludeConstraintOp("ex", "t", [("a", "=")]),
    ]
    types = ["unique", "check", "primary", "foreignkey", None]
    for create, type_ in zip(creates, types, strict=True):
        drop = create.reverse()
        assert isinstance(drop, ops.DropConstraintOp)
        assert (drop.constraint_name, drop.table_name, drop.constraint_type) == (
            create.constraint_name,
            create.table_name,
            type_,
        )
        assert drop.schema == create.schema
        assert drop.reverse() is create


def test_drop_constraint_without_a_definition_is_not_reversible() -> None:
    with pytest.raises(NotReversible, match="write the downgrade's create"):
        ops.DropConstraintOp("uq", "t", type_="unique").reverse()
    with pytest.raises(NotReversible, match="previous comment is unknown"):
        ops.DropTableCommentOp("t").reverse()


def test_table_comment_ops_reverse() -> None:
    first = ops.CreateTableCommentOp("t", "new", schema="s")
    assert isinstance(first.reverse(), ops.DropTableCommentOp)
    assert first.reverse().existing_comment == "new"
    changed = ops.CreateTableCommentOp("t", "new", existing_comment="old").reverse()
    assert isinstance(changed, ops.CreateTableCommentOp)
    assert (changed.comment, changed.existing_comment) == ("old", "new")
    restored = ops.DropTableCommentOp("t", existing_comment="old").reverse()
    assert (restored.comment, restored.table_name) == ("old", "t")


def test_ops_are_built_from_schema_constraints() -> None:
    metadata = sa.MetaData()
    sa.Table("parent", metadata, sa.Column("id", sa.Integer, primary_key=True), schema="p")
    table = sa.Table(
        "child",
        metadata,
        sa.Column("id", sa.Integer),
        sa.Column("parent_id", sa.Integer),
        sa.Column("code", sa.String(5)),
        sa.PrimaryKeyConstraint("id", name="pk_child"),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["p.parent.id"], name="fk_parent", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("code", name="uq_code", deferrable=True),
        sa.CheckConstraint("id > 0", name="ck_id"),
        ExcludeConstraint(("code", "="), name="ex_code", using="gist"),
        schema="c",
    )
    built = {
        type(op_).__name__: op_
        for op_ in (ops.AddConstraintOp.from_constraint(c) for c in table.constraints)
    }
    fk = built["CreateForeignKeyOp"]
    assert isinstance(fk, ops.CreateForeignKeyOp)
    assert (fk.source_table, fk.referent_table, fk.local_cols, fk.remote_cols) == (
        "child",
        "parent",
        ["parent_id"],
        ["id"],
    )
    assert fk.kw == {"ondelete": "CASCADE", "source_schema": "c", "referent_schema": "p"}
    unique = built["CreateUniqueConstraintOp"]
    assert isinstance(unique, ops.CreateUniqueConstraintOp)
    assert (unique.columns, unique.kw) == (("code",), {"deferrable": True})
    assert built["CreatePrimaryKeyOp"].constraint_name == "pk_child"
    assert built["CreateCheckConstraintOp"].schema == "c"
    exclude = built["CreateExcludeConstraintOp"]
    assert isinstance(exclude, ops.CreateExcludeConstraintOp)
    assert exclude.kw == {"using": "gist"} and len(exclude.elements) == 1
    drop = ops.DropConstraintOp.from_constraint(table.constraints.copy().pop())
    assert drop.reverse() is not None and drop.table_name == "child"
    with pytest.raises(DistillError, match="belongs to no table"):
        ops.AddConstraintOp.from_constraint(sa.UniqueConstraint("a", name="x"))


def test_constraints_are_named_by_the_configured_convention() -> None:
    context = Opts(
        target_metadata=sa.MetaData(
            naming_convention={
                "uq": "uq_%(table_name)s_%(column_0_name)s",
                "ck": "ck_%(table_name)s_%(constraint_name)s",
                "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
                "pk": "pk_%(table_name)s",
            }
        )
    )
    assert ops.CreateUniqueConstraintOp(None, "t", ["a"]).to_constraint(context).name == "uq_t_a"
    assert ops.CreateCheckConstraintOp("pos", "t", "a > 0").to_constraint(context).name == (
        "ck_t_pos"
    )
    fk = ops.CreateForeignKeyOp(None, "t", "r", ["r_id"], ["id"]).to_constraint(context)
    assert fk.name == "fk_t_r_id_r"
    assert ops.CreatePrimaryKeyOp(None, "t", ["id"]).to_constraint(context).name == "pk_t"
    drop = ops.DropConstraintOp("pos", "t", type_="check").to_constraint(context)
    assert isinstance(drop, sa.CheckConstraint) and drop.name == "ck_t_pos"
    generic = ops.DropConstraintOp("anything", "t").to_constraint(context)
    assert type(generic) is sa.schema.Constraint and generic.name == "anything"


def test_foreign_key_column_counts_must_match() -> None:
    with pytest.raises(DistillError, match=r"2 local column\(s\) and 1 remote column\(s\)"):
        ops.CreateForeignKeyOp("fk", "t", "r", ["a", "b"], ["id"]).to_constraint()


def test_diff_tuples_follow_alembic() -> None:
    assert ops.CreateUniqueConstraintOp("uq", "t", ["a"]).to_diff_tuple()[0] == "add_constraint"
    assert ops.CreateForeignKeyOp("fk", "t", "r", ["a"], ["id"]).to_diff_tuple()[0] == "add_fk"
    assert ops.DropConstraintOp("fk", "t", type_="foreignkey").to_diff_tuple()[0] == "remove_fk"
    assert ops.DropConstraintOp("uq", "t", "unique").to_diff_tuple()[0] == "remove_constraint"
    kind, table, existing = ops.CreateTableCommentOp("t", "x", existing_comment="y").to_diff_tuple()
    assert (kind, table.comment, existing) == ("add_table_comment", "x", "y")
    diffs = ops.AlterColumnOp(
        "t",
        "a",
        schema="s",
        modify_nullable=False,
        existing_nullable=True,
        existing_type=sa.Integer(),
    ).to_diff_tuple()
    [(kind, schema, name, column, others, old, new)] = diffs
    assert (kind, schema, name, column, old, new) == ("modify_nullable", "s", "t", "a", True, False)
    assert set(others) == {"existing_type", "existing_server_default", "existing_comment"}
