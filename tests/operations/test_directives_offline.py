"""Offline (--sql) text of the issue-4 directives: identical to real Alembic's, and the
deliberate differences (refusals, MySQL/MariaDB spellings) spelled out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from support.op_runs import Context, ScriptSink, alembic_script, offline, offline_dialect

from distill.dialects import DialectImpl
from distill.errors import DistillError
from distill.operations import Operations

Scenario = Callable[[Any], None]


def distill_script(dialect: Any, scenario: Scenario, **opts: Any) -> str:
    with offline(dialect, **opts) as (operations, sink):
        scenario(operations)
    return sink.script


def rename_table(op: Any) -> None:
    op.rename_table("account", "customer")
    op.rename_table("Order", "select", schema="Sales")


def alter_column_each_attribute(op: Any) -> None:
    """Every attribute once, with the existing_* MySQL needs offline."""
    text = sa.String(10)
    op.alter_column("t", "c", nullable=False, existing_type=text)
    op.alter_column("t", "c", nullable=True, existing_type=text, existing_server_default="x")
    op.alter_column("t", "c", type_=sa.String(20), existing_type=text, existing_nullable=False)
    op.alter_column("t", "c", server_default="it's", existing_type=text)
    op.alter_column("t", "c", server_default=sa.text("'a' || 'b'"), existing_type=text)
    op.alter_column("t", "c", server_default=None, existing_type=text)
    op.alter_column("t", "c", comment="a comment", existing_type=text, existing_nullable=False)
    op.alter_column("t", "c", comment=None, existing_type=text, existing_comment="old")
    op.alter_column("t", "c", new_column_name="d", existing_type=text, existing_comment="kept")
    op.alter_column(
        "t",
        "c",
        new_column_name="e",
        type_=sa.Text(),
        nullable=False,
        existing_type=text,
        schema="s",
    )
    op.alter_column("t", "created", server_default=sa.func.now(), existing_type=sa.DateTime())


def postgresql_alter_column(op: Any) -> None:
    op.alter_column("t", "c", type_=sa.Integer, postgresql_using="c::integer")
    op.alter_column("t", "id", server_default=sa.Identity(start=5), existing_type=sa.Integer)
    op.alter_column(
        "t", "id", server_default=sa.Identity(increment=2), existing_server_default=sa.Identity()
    )
    op.alter_column("t", "id", server_default=None, existing_server_default=sa.Identity())


def constraints(op: Any) -> None:
    op.create_unique_constraint("uq_a", "t", ["a", "b"], schema="s")
    op.create_foreign_key(
        "fk_a",
        "t",
        "r",
        ["a"],
        ["id"],
        ondelete="CASCADE",
        onupdate="SET NULL",
        source_schema="s",
        referent_schema="r2",
    )
    op.create_foreign_key("fk_b", "t", "t", ["parent_a", "parent_b"], ["a", "b"])
    op.create_check_constraint("ck_a", "t", "a > 0")
    op.create_check_constraint("ck_b", "t", sa.column("a") > 5)
    op.create_primary_key("pk_t", "t", ["id", "x"])
    op.drop_constraint("uq_a", "t", type_="unique")
    op.drop_constraint("fk_a", "t", type_="foreignkey", schema="s")
    op.drop_constraint("ck_a", "t", type_="check")
    op.drop_constraint("pk_t", "t", type_="primary")


def postgresql_constraints(op: Any) -> None:
    op.create_foreign_key(
        "fk_d", "t", "r", ["a"], ["id"], deferrable=True, initially="DEFERRED", match="FULL"
    )
    op.create_unique_constraint("uq_d", "t", ["a"], deferrable=True)
    op.create_check_constraint(None, "t", "a > 1")
    op.drop_constraint("whatever", "t")
    op.drop_constraint("maybe", "t", if_exists=True)
    op.create_exclude_constraint(
        "ex_room", "booking", ("period", "&&"), ("room", "="), where="room > 0", using="gist"
    )
    op.create_exclude_constraint("ex_expr", "booking", (sa.column("period"), "&&"))


def comments(op: Any) -> None:
    op.create_table_comment("t", "it's", schema="s")
    op.create_table_comment("t", "new", existing_comment="old")
    op.drop_table_comment("t", existing_comment="x")


def index_extras(op: Any) -> None:
    op.create_index("ix_g", "t", ["a"], postgresql_using="gin")
    op.create_index("ix_w", "t", ["a"], postgresql_where=sa.text("a > 0"))
    op.create_index("ix_e", "t", [sa.text("lower(a)"), sa.func.upper(sa.column("b"))])
    op.create_index("ix_i", "t", ["a"], postgresql_include=["b"])
    op.create_index("ix_c", "t", ["a"], postgresql_concurrently=True, if_not_exists=True)
    op.drop_index("ix_c", "t", postgresql_concurrently=True, if_exists=True)


def mysql_index_extras(op: Any) -> None:
    op.create_index("ix_l", "t", ["a", "b"], mysql_length={"a": 10})
    op.create_index("ix_e", "t", [sa.text("(lower(a))")])
    op.create_index("ix_p", "t", ["a"], mysql_prefix="FULLTEXT")


def sqlite_native(op: Any) -> None:
    op.rename_table("a", "b")
    op.alter_column("t", "c", new_column_name="d")
    op.create_index("ix_w", "t", ["a"], sqlite_where=sa.text("a > 0"))
    op.create_index("ix_e", "t", [sa.text("lower(a)")], unique=True)


SCENARIOS: dict[str, tuple[Scenario, tuple[str, ...]]] = {
    "rename_table": (rename_table, ("sqlite", "postgresql", "mysql")),
    "alter_column_each_attribute": (alter_column_each_attribute, ("postgresql", "mysql")),
    "postgresql_alter_column": (postgresql_alter_column, ("postgresql",)),
    # MySQL: DROP CHECK is MySQL's; unknown servers get DROP CONSTRAINT (test below)
    "constraints": (constraints, ("postgresql", "mariadb")),
    "postgresql_constraints": (postgresql_constraints, ("postgresql",)),
    "comments": (comments, ("postgresql", "mysql")),
    "index_extras": (index_extras, ("postgresql",)),
    "mysql_index_extras": (mysql_index_extras, ("mysql",)),
    "sqlite_native": (sqlite_native, ("sqlite",)),
}


@pytest.mark.filterwarnings("ignore:autoincrement and existing_autoincrement")
@pytest.mark.parametrize(
    ("name", "dialect"),
    [(name, dialect) for name, (_, dialects) in SCENARIOS.items() for dialect in dialects],
)
def test_offline_sql_is_alembics(name: str, dialect: str) -> None:
    scenario = SCENARIOS[name][0]
    ours = distill_script(dialect, scenario)
    assert ours == alembic_script(dialect, scenario)
    assert ours


CONVENTION = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def convention_names(op: Any) -> None:
    op.create_unique_constraint(None, "t", ["a", "b"])
    op.create_foreign_key(None, "t", "r", ["a"], ["id"])
    op.create_check_constraint("positive", "t", "a > 0")
    op.create_primary_key(None, "t", ["id"])
    op.create_unique_constraint(op.f("my_uq"), "t", ["a"])
    # dropping by the same name given to create: the convention computes the same name
    op.drop_constraint("positive", "t", type_="check")
    op.drop_constraint("uq_t_a", "t", type_="unique")
    op.drop_constraint(op.f("ck_t_positive"), "t", type_="check")
    op.drop_constraint("fk_t_a_r", "t", type_="foreignkey")
    op.drop_constraint("pk_t", "t", type_="primary")


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_naming_convention_names_constraints_as_alembic_does(dialect: str) -> None:
    ours = distill_script(dialect, convention_names, target_metadata=CONVENTION)
    assert ours == alembic_script(dialect, convention_names, target_metadata=CONVENTION)
    assert "ADD CONSTRAINT uq_t_a UNIQUE (a, b)" in ours
    assert "ADD CONSTRAINT fk_t_a_r FOREIGN KEY(a) REFERENCES r (id)" in ours
    assert "ADD CONSTRAINT ck_t_positive CHECK (a > 0)" in ours
    assert "ADD CONSTRAINT my_uq UNIQUE (a)" in ours
    assert ours.count("DROP CONSTRAINT ck_t_positive") == 2


def test_reversed_unnamed_constraints_drop_by_the_convention_name() -> None:
    from distill.operations import ops

    created = [
        ops.CreateUniqueConstraintOp(None, "t", ["a"]),
        ops.CreateCheckConstraintOp("positive", "t", "a > 0"),
        ops.CreateForeignKeyOp(None, "t", "r", ["r_id"], ["id"]),
    ]

    def run(op: Any) -> None:
        for create in created:
            op.invoke(create.reverse())

    assert distill_script("postgresql", run, target_metadata=CONVENTION) == (
        "ALTER TABLE t DROP CONSTRAINT uq_t_a;\n\n"
        "ALTER TABLE t DROP CONSTRAINT ck_t_positive;\n\n"
        "ALTER TABLE t DROP CONSTRAINT fk_t_r_id_r;\n\n"
    )
    with pytest.raises(DistillError, match="dropped by its name, and none was given"):
        distill_script("postgresql", lambda op: op.invoke(created[0].reverse()))


def test_a_convention_that_needs_a_name_says_so() -> None:
    with pytest.raises(DistillError) as error:
        distill_script(
            "postgresql",
            lambda op: op.create_check_constraint(None, "t", "a > 0"),
            target_metadata=CONVENTION,
        )
    message = str(error.value)
    assert message.startswith("create_check_constraint(None, 't'): ")
    assert "give the constraint a name" in message


def test_mysql_drop_check_follows_the_server() -> None:
    def run(op: Any) -> None:
        op.drop_constraint("ck_a", "t", type_="check")

    # unknown server (offline mysql://) and MariaDB: the statement both understand
    assert distill_script("mysql", run) == "ALTER TABLE t DROP CONSTRAINT ck_a;\n\n"
    assert distill_script("mariadb", run) == alembic_script("mariadb", run)
    mysql = offline_dialect("mysql")
    mysql.server_version_info = (8, 0, 36)
    assert distill_script(mysql, run) == "ALTER TABLE t DROP CHECK ck_a;\n\n"
    assert distill_script(mysql, run) == alembic_script("mysql", run)


def test_mysql_if_exists_on_constraints_where_mariadb_has_it() -> None:
    def run(op: Any) -> None:
        op.drop_constraint("fk_a", "t", type_="foreignkey", if_exists=True)
        op.drop_constraint("uq_a", "t", type_="unique", if_exists=True)
        op.drop_constraint("ck_a", "t", type_="check", if_exists=True)

    assert distill_script("mariadb", run) == (
        "ALTER TABLE t DROP FOREIGN KEY IF EXISTS fk_a;\n\n"
        "ALTER TABLE t DROP INDEX IF EXISTS uq_a;\n\n"
        "ALTER TABLE t DROP CONSTRAINT IF EXISTS ck_a;\n\n"
    )
    mysql = offline_dialect("mysql")
    mysql.server_version_info = (8, 0, 36)
    with pytest.raises(DistillError, match="mysql has no DROP CONSTRAINT IF EXISTS"):
        distill_script(mysql, run)


def test_mysql_offline_alter_needs_the_existing_type() -> None:
    with pytest.raises(DistillError) as error:
        distill_script("mysql", lambda op: op.alter_column("t", "c", nullable=False))
    message = str(error.value)
    assert message.startswith(
        "alter_column('t', 'c'): All MySQL CHANGE/MODIFY COLUMN operations require the "
        "existing type."
    )
    assert "pass existing_type=" in message and "offline (--sql) it cannot" in message
    # a default alone needs no restatement
    assert distill_script("mysql", lambda op: op.alter_column("t", "c", server_default="1")) == (
        "ALTER TABLE t ALTER COLUMN c SET DEFAULT '1';\n\n"
    )


def test_mysql_restates_autoincrement_and_keeps_the_schema_on_rename() -> None:
    def run(op: Any) -> None:
        op.alter_column("t", "id", autoincrement=True, existing_type=sa.Integer(), nullable=False)
        op.alter_column(
            "t", "id", existing_type=sa.Integer(), comment="x", existing_autoincrement=True
        )

    assert distill_script("mysql", run) == (
        "ALTER TABLE t MODIFY id INTEGER NOT NULL AUTO_INCREMENT;\n\n"
        "ALTER TABLE t MODIFY id INTEGER NULL AUTO_INCREMENT COMMENT 'x';\n\n"
    )
    assert distill_script("mysql", lambda op: op.rename_table("a", "b", schema="s")) == (
        "ALTER TABLE s.a RENAME TO s.b;\n\n"
    )


def test_mysql_offline_drop_constraint_needs_its_kind() -> None:
    with pytest.raises(DistillError, match=r"pass type_='foreignkey', 'unique', 'check' or"):
        distill_script("mysql", lambda op: op.drop_constraint("x", "t"))


def test_mysql_refuses_deferrable_constraints() -> None:
    with pytest.raises(DistillError, match="MySQL has no deferrable constraints"):
        distill_script(
            "mysql",
            lambda op: op.create_foreign_key("fk", "t", "r", ["a"], ["id"], deferrable=True),
        )


def test_exclude_constraints_are_postgresql_only() -> None:
    with pytest.raises(DistillError, match="EXCLUDE constraints are PostgreSQL's; mysql has none"):
        distill_script("mysql", lambda op: op.create_exclude_constraint("ex", "t", ("a", "=")))


def test_drop_constraint_type_must_be_known() -> None:
    with pytest.raises(DistillError, match=r"type_='index'\): type_ must be one of"):
        distill_script("postgresql", lambda op: op.drop_constraint("x", "t", type_="index"))


def test_postgresql_using_needs_a_type() -> None:
    with pytest.raises(DistillError, match="postgresql_using must be used with the type_"):
        distill_script(
            "postgresql", lambda op: op.alter_column("t", "c", postgresql_using="c::int")
        )


def test_computed_columns_cannot_be_altered() -> None:
    for dialect in ("postgresql", "mysql"):
        with pytest.raises(DistillError, match="drop the column and add it again"):
            distill_script(
                dialect,
                lambda op: op.alter_column(
                    "t", "c", server_default=sa.Computed("a + 1"), existing_type=sa.Integer()
                ),
            )
    with pytest.raises(DistillError, match="MySQL has no identity columns"):
        distill_script(
            "mysql",
            lambda op: op.alter_column(
                "t", "c", server_default=sa.Identity(), existing_type=sa.Integer()
            ),
        )


def test_sqlite_comments_write_nothing() -> None:
    def run(op: Any) -> None:
        op.create_table_comment("t", "x")
        op.drop_table_comment("t")
        op.alter_column("t", "c", comment="x")

    assert distill_script("sqlite", run) == ""


class NoAlterImpl(DialectImpl):
    """A backend without ALTER for columns and constraints, and no table rebuild."""

    can_alter_column = False
    can_alter_constraints = False
    can_rename_column = False


def no_alter_script(scenario: Scenario) -> str:
    dialect = offline_dialect("sqlite")
    sink = ScriptSink(dialect)
    impl = NoAlterImpl(dialect, sink)
    with Operations.context(Context(impl, dialect, None, True)) as operations:
        scenario(operations)
    return sink.script


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            lambda op: op.alter_column("t", "c", nullable=False),
            "alter_column('t', 'c'): sqlite cannot change the nullability of an existing "
            "column in place; use batch mode",
        ),
        (
            lambda op: op.alter_column("t", "c", type_=sa.Integer, server_default="1"),
            "cannot change the type and the server default of",
        ),
        (
            lambda op: op.alter_column("t", "c", new_column_name="d"),
            "cannot change the name of an existing column",
        ),
        (
            lambda op: op.create_foreign_key("fk", "t", "r", ["a"], ["id"]),
            "create_foreign_key('fk', 't'): sqlite cannot add a FOREIGN KEY constraint",
        ),
        (
            lambda op: op.create_check_constraint("ck", "t", "a > 0"),
            "create_check_constraint('ck', 't'): sqlite cannot add a CHECK constraint",
        ),
        (
            lambda op: op.create_primary_key("pk", "t", ["id"]),
            "create_primary_key('pk', 't'): sqlite cannot add a PRIMARY KEY constraint",
        ),
        (
            lambda op: op.drop_constraint("uq", "t", type_="unique"),
            "drop_constraint('uq', 't'): sqlite cannot drop a constraint",
        ),
        (
            lambda op: op.add_column("t", sa.Column("z", sa.Integer, unique=True)),
            "add_column('t', 'z'): sqlite cannot add a UNIQUE constraint",
        ),
    ],
)
def test_without_alter_or_rebuild_the_base_hooks_refuse(scenario: Scenario, message: str) -> None:
    sink_text: list[str] = []

    def run(op: Any) -> None:
        try:
            scenario(op)
        finally:
            sink_text.append(op.impl.sink.buffer.getvalue())

    with pytest.raises(DistillError) as error:
        no_alter_script(run)
    assert message in str(error.value)
    assert sink_text == [""]  # refused before anything was written


@pytest.mark.parametrize(
    ("scenario", "where"),
    [
        (lambda op: op.alter_column("t", "c", nullable=False), "alter_column('t', 'c'): "),
        (
            lambda op: op.create_unique_constraint("uq", "t", ["a"]),
            "create_unique_constraint('uq', 't'): ",
        ),
        (lambda op: op.drop_constraint("uq", "t", type_="unique"), "drop_constraint('uq', 't'): "),
    ],
)
def test_sqlite_offline_hands_what_alter_cannot_do_to_the_rebuild_hooks(
    scenario: Scenario, where: str
) -> None:
    """Offline there is no table to read; the hook (dialects/sqlite/impl.py) explains."""
    with offline("sqlite") as (operations, sink), pytest.raises(DistillError) as error:
        scenario(operations)
    assert str(error.value).startswith(where)
    assert "batch_alter_table('t'" in str(error.value)
    assert sink.script == ""


def test_postgresql_enum_types_follow_their_columns() -> None:
    from distill.operations import ops

    mood = sa.Enum("happy", "sad", name="mood")

    def run(op: Any) -> None:
        op.add_column("t", sa.Column("m", mood))
        op.add_column("u", sa.Column("m", mood))  # made once per run
        op.add_column("v", sa.Column("m", sa.Enum("x", name="given", create_type=False)))
        op.alter_column("t", "c", type_=sa.Enum("a", name="letter"), postgresql_using="c::letter")
        op.invoke(ops.DropColumnOp.from_column_and_tablename(None, "t", sa.Column("m", mood)))
        op.drop_column("u", "m")  # only a name: types stay (the revision drops them itself)

    assert distill_script("postgresql", run) == (
        "DO $$BEGIN CREATE TYPE mood AS ENUM ('happy', 'sad'); "
        "EXCEPTION WHEN duplicate_object THEN NULL; END$$;\n\n"
        "ALTER TABLE t ADD COLUMN m mood;\n\n"
        "ALTER TABLE u ADD COLUMN m mood;\n\n"
        "ALTER TABLE v ADD COLUMN m given;\n\n"
        "DO $$BEGIN CREATE TYPE letter AS ENUM ('a'); "
        "EXCEPTION WHEN duplicate_object THEN NULL; END$$;\n\n"
        "ALTER TABLE t ALTER COLUMN c TYPE letter USING c::letter;\n\n"
        "ALTER TABLE t DROP COLUMN m;\n\n"
        "DO $$BEGIN DROP TYPE mood; "
        "EXCEPTION WHEN dependent_objects_still_exist OR undefined_object THEN NULL; END$$;\n\n"
        "ALTER TABLE u DROP COLUMN m;\n\n"
    )
