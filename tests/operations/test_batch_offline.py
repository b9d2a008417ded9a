"""batch_alter_table offline (--sql): the script is Alembic's, statement for statement."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from support.op_runs import alembic_script, offline

from distill.errors import DistillError
from distill.operations.batch import BatchOperations


def account() -> sa.Table:
    """The table as it is now, for copy_from (a fresh one per use)."""
    return sa.Table(
        "account",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("email", sa.String(100)),
        sa.Column("flag", sa.Boolean(create_constraint=True)),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("org.id", ondelete="CASCADE")),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("account.id")),
        sa.Index("ix_account_name", "name"),
        sa.UniqueConstraint("email", name="uq_email"),
        sa.CheckConstraint("length(name) > 0", name="ck_name"),
    )


def distill_script(dialect: str, run: Callable[[Any], None]) -> str:
    with offline(dialect) as (op, sink):
        run(op)
    return sink.script


_CONSTRAINT_LINE = re.compile(r"^\s*(CONSTRAINT|FOREIGN KEY|UNIQUE|CHECK)\b")


def comparable(script: str) -> list[str]:
    """The script's statements with the order Alembic leaves to chance put straight.

    Alembic collects a table's constraints by iterating a set, so the order of the
    constraint lines in CREATE TABLE (and of PostgreSQL's DROP CONSTRAINTs before it)
    changes from run to run; everything else must be identical.
    """
    statements = []
    for statement in script.split(";\n\n"):
        lines = [line.rstrip().rstrip(",") for line in statement.strip().splitlines()]
        constraints = sorted(line for line in lines if _CONSTRAINT_LINE.match(line))
        others = [line for line in lines if not _CONSTRAINT_LINE.match(line)]
        statements.append("\n".join(others[:-1] + constraints + others[-1:]))
    drops = [s for s in statements if " DROP CONSTRAINT " in s]
    rest = [s for s in statements if " DROP CONSTRAINT " not in s]
    return sorted(drops) + rest


def _many_changes(op: Any) -> None:
    with op.batch_alter_table("account", copy_from=account()) as batch_op:
        batch_op.alter_column("name", type_=sa.String(80), nullable=True)
        batch_op.add_column(sa.Column("age", sa.Integer, server_default="0"), insert_after="name")
        batch_op.alter_column("email", new_column_name="mail")
        batch_op.drop_column("flag")
        batch_op.create_index("ix_age", ["age"])
        batch_op.drop_index("ix_account_name")
        batch_op.create_unique_constraint("uq_name", ["name"])
        batch_op.drop_constraint("uq_email", type_="unique")
        batch_op.create_check_constraint("ck_age", "age >= 0")
        batch_op.create_foreign_key("fk_owner", "person", ["org_id"], ["id"], ondelete="SET NULL")


def _reordering(op: Any) -> None:
    with op.batch_alter_table(
        "account",
        copy_from=account(),
        recreate="always",
        partial_reordering=[("email", "name", "id")],
    ) as batch_op:
        batch_op.add_column(sa.Column("age", sa.Integer), insert_before="email")


def _table_options(op: Any) -> None:
    with op.batch_alter_table(
        "account",
        copy_from=account(),
        table_args=(sa.CheckConstraint("age > 0", name="ck_age"),),
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.add_column(sa.Column("age", sa.Integer))
        batch_op.drop_constraint("ck_name", type_="check")


def _primary_key(op: Any) -> None:
    with op.batch_alter_table("account", copy_from=account()) as batch_op:
        batch_op.create_primary_key("pk_account", ["id", "name"])
        batch_op.create_table_comment("people")


def _only_additions(op: Any) -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.add_column(sa.Column("age", sa.Integer))
        batch_op.create_index("ix_age", ["age"])
        batch_op.drop_index("ix_account_name")


def _always(op: Any) -> None:
    with op.batch_alter_table("account", copy_from=account(), recreate="always") as batch_op:
        batch_op.add_column(sa.Column("age", sa.Integer))


def _column_moves(op: Any) -> None:
    with op.batch_alter_table("account", copy_from=account(), recreate="always") as batch_op:
        batch_op.alter_column("email", insert_before="name")
        batch_op.alter_column("flag", new_column_name="active", insert_after="id")


def _column_moves_ignored_by_alter(op: Any) -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.alter_column("email", nullable=False, insert_after="id")


def _execute_inside(op: Any) -> None:
    with op.batch_alter_table("account", copy_from=account()) as batch_op:
        batch_op.execute("UPDATE account SET name = 'x' WHERE name IS NULL")
        batch_op.alter_column("email", nullable=False)


# Alembic's own batch mode makes SQLAlchemy warn when the primary key changes
@pytest.mark.filterwarnings("ignore:Table '_alembic_tmp_account' specifies columns")
@pytest.mark.parametrize(
    ("dialect", "run"),
    [
        ("sqlite", _many_changes),
        ("sqlite", _reordering),
        ("sqlite", _table_options),
        ("sqlite", _primary_key),
        ("sqlite", _only_additions),
        ("sqlite", _always),
        ("sqlite", _execute_inside),
        ("postgresql", _column_moves_ignored_by_alter),
        ("postgresql", _always),
        ("postgresql", _only_additions),
        ("mysql", _always),
    ],
    ids=lambda value: value if isinstance(value, str) else value.__name__.strip("_"),
)
def test_offline_batch_script_is_alembics(dialect: str, run: Callable[[Any], None]) -> None:
    assert comparable(distill_script(dialect, run)) == comparable(alembic_script(dialect, run))


def test_alter_column_places_the_column_in_the_recreated_table() -> None:
    """Alembic documents insert_before / insert_after for alter_column, but its rebuild
    leaves the column where it was; distill places it as asked."""

    def columns(script: str) -> list[str]:
        create = script.split(";")[0]
        return [line.split()[0] for line in create.splitlines()[1:7]]

    ours = columns(distill_script("sqlite", _column_moves))
    assert ours.index("email") < ours.index("name")
    assert ours.index("active") > ours.index("id")
    assert columns(alembic_script("sqlite", _column_moves)) == [
        "id", "name", "email", "active", "org_id", "parent_id"
    ]  # fmt: skip


def test_a_type_change_on_sqlite_is_left_to_the_column_affinity() -> None:
    """Alembic CASTs where the type family changes; on SQLite that turns '2020-01-02' AS
    DATETIME into 2020. distill copies the value and lets SQLite convert what it can."""

    def retype(op: Any) -> None:
        with op.batch_alter_table("account", copy_from=account()) as batch_op:
            batch_op.alter_column("name", type_=sa.DateTime)

    ours, theirs = distill_script("sqlite", retype), alembic_script("sqlite", retype)
    assert "CAST(account.name AS DATETIME) AS name" in theirs
    cast = "CAST(account.name AS DATETIME) AS name"
    assert comparable(ours) == comparable(theirs.replace(cast, "account.name"))
    # other backends need the CAST to copy at all: there distill writes it too
    assert "CAST(account.name AS TIMESTAMP WITHOUT TIME ZONE)" in distill_script(
        "postgresql",
        lambda op: retype_always(op),
    )


def retype_always(op: Any) -> None:
    with op.batch_alter_table("account", copy_from=account(), recreate="always") as batch_op:
        batch_op.alter_column("name", type_=sa.DateTime)


BATCH_DIRECTIVES = [
    "add_column",
    "alter_column",
    "drop_column",
    "create_index",
    "drop_index",
    "create_unique_constraint",
    "create_foreign_key",
    "create_check_constraint",
    "create_primary_key",
    "create_exclude_constraint",
    "drop_constraint",
    "create_table_comment",
    "drop_table_comment",
]


@pytest.mark.parametrize("name", BATCH_DIRECTIVES)
def test_batch_directive_signatures_match_alembic(name: str) -> None:
    from alembic.operations import BatchOperations as AlembicBatchOperations

    def shape(function: Any) -> list[tuple[str, Any, Any]]:
        params = list(inspect.signature(function).parameters.values())[1:]
        return [(p.name, p.kind, p.default) for p in params]

    assert shape(getattr(BatchOperations, name)) == shape(getattr(AlembicBatchOperations, name))


def test_offline_rebuild_without_copy_from_says_so() -> None:
    def run(op: Any) -> None:
        with op.batch_alter_table("account") as batch_op:
            batch_op.drop_column("email")

    with pytest.raises(DistillError) as error:
        distill_script("sqlite", run)
    message = str(error.value)
    assert message.startswith("This operation cannot proceed in --sql mode; batch mode with")
    assert 'a complete Table object should be passed to the "copy_from" argument' in message


def test_insert_position_needs_the_table_recreated() -> None:
    def run(op: Any) -> None:
        with op.batch_alter_table("account") as batch_op:
            batch_op.add_column(sa.Column("age", sa.Integer), insert_after="name")

    with pytest.raises(DistillError, match="Can't specify insert_before or insert_after when"):
        distill_script("postgresql", run)


def test_unnamed_constraint_in_batch_needs_a_name() -> None:
    def run(op: Any) -> None:
        with op.batch_alter_table("account", copy_from=account()) as batch_op:
            batch_op.create_unique_constraint(None, ["name"])

    with pytest.raises(DistillError, match="Constraint must have a name"):
        distill_script("sqlite", run)


def test_missing_constraint_and_index_are_named() -> None:
    def drop_constraint(op: Any) -> None:
        with op.batch_alter_table("account", copy_from=account()) as batch_op:
            batch_op.drop_constraint("uq_nope", type_="unique")

    def drop_index(op: Any) -> None:
        with op.batch_alter_table("account", copy_from=account(), recreate="always") as batch_op:
            batch_op.drop_index("ix_nope")

    with pytest.raises(DistillError, match="No such constraint: 'uq_nope' on table account"):
        distill_script("sqlite", drop_constraint)
    with pytest.raises(DistillError, match="No such index: 'ix_nope' on table account"):
        distill_script("sqlite", drop_index)


def test_bad_arguments_and_table_level_directives_are_refused() -> None:
    with offline("sqlite") as (op, _):
        refused = pytest.raises(DistillError, match="recreate may be one of 'auto', 'always'")
        with refused, op.batch_alter_table("account", recreate="sometimes"):
            pass
        with op.batch_alter_table("account") as batch_op:
            assert isinstance(batch_op, BatchOperations)
            for directive in ("create_table", "drop_table", "rename_table"):
                with pytest.raises(DistillError, match=f"The {directive} method does not apply"):
                    getattr(batch_op, directive)("x")


def test_batch_helpers_are_ops() -> None:
    with offline("sqlite") as (op, sink), op.batch_alter_table("account") as batch_op:
        assert str(batch_op.f("ix_final")) == "ix_final"
        assert batch_op.get_context() is op.get_context()
        batch_op.execute(
            sa.table("account", sa.column("n")).update().values(n=batch_op.inline_literal(7))
        )
        assert batch_op.get_bind() is op.get_bind()
    assert sink.script == "UPDATE account SET n=7;\n\n"


@pytest.mark.parametrize(
    ("dialect", "per_schema"), [("postgresql", True), ("mysql", False), ("sqlite", False)]
)
def test_constraint_names_per_schema_is_a_capability(dialect: str, per_schema: bool) -> None:
    with offline(dialect) as (op, _):
        assert op.impl.constraint_names_per_schema is per_schema


def test_base_impl_has_no_guarded_rebuild() -> None:
    with offline("postgresql") as (op, _):
        column = sa.Column("x", sa.Integer, nullable=False, unique=True)
        assert op.impl.add_column_needs_rebuild(column, inline_references=False) is False
        with pytest.raises(DistillError, match=r"no guarded online rebuild of table account"):
            op.impl.rebuild_table("account", None, where="batch", plan=lambda t, i: None)
