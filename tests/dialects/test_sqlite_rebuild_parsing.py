"""Reading SQLite's stored CREATE TABLE text, and the table model of a rebuild (no database)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from distill.dialects.alteration import ColumnAlteration
from distill.dialects.sql_text import normalized, referenced_names, rename_identifiers
from distill.dialects.sqlite.stored_schema import parse_create_table
from distill.dialects.table_definition import temp_table_name
from distill.dialects.table_rebuild import TableRebuild
from distill.errors import DistillError

SQLITE = sa.make_url("sqlite://").get_dialect()()

STORED = """CREATE TABLE "author" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the key
    "full name" TEXT COLLATE NOCASE NOT NULL DEFAULT 'x, y',
    born TEXT DEFAULT (date('now')),
    score NUMERIC(10, 2) DEFAULT -1 CHECK (score >= -1),
    bio,
    [slug] TEXT GENERATED ALWAYS AS (lower("full name")) VIRTUAL,
    total AS (score * 2) STORED,
    `org` INTEGER REFERENCES org(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    stamp TEXT DEFAULT CURRENT_TIMESTAMP,
    /* table constraints are not columns */
    CONSTRAINT ck_bio CHECK (bio <> ''),
    UNIQUE (born, score),
    FOREIGN KEY (org) REFERENCES org (id)
)"""


def test_parse_create_table_reads_what_reflection_misses() -> None:
    parsed = parse_create_table(STORED)
    assert parsed.autoincrement
    assert list(parsed.columns) == [
        "id", "full name", "born", "score", "bio", "slug", "total", "org", "stamp",
    ]  # fmt: skip
    name = parsed.columns["full name"]
    assert (name.declared_type, name.collation, name.default) == ("TEXT", "NOCASE", "'x, y'")
    assert parsed.columns["born"].default == "(date('now'))"
    score = parsed.columns["score"]
    assert (score.declared_type, score.default) == ("NUMERIC(10, 2)", "-1")
    assert parsed.columns["bio"].declared_type == ""
    assert parsed.columns["slug"].generated == ('lower("full name")', False)
    assert parsed.columns["total"].generated == ("score * 2", True)
    org = parsed.columns["org"]
    assert (org.declared_type, org.deferrable, org.initially) == ("INTEGER", True, "DEFERRED")
    assert parsed.columns["stamp"].default == "CURRENT_TIMESTAMP"


def test_identifiers_are_renamed_outside_string_literals_only() -> None:
    sql = "length(name) > 0 AND \"name\" <> 'name' AND t.Name IS NOT NULL"
    assert rename_identifiers(sql, {"name": "full name"}) == (
        'length("full name") > 0 AND "full name" <> \'name\' AND t."full name" IS NOT NULL'
    )
    assert referenced_names("lower(email) || 'x' || \"Other\"") == {"lower", "email", "other"}
    assert normalized('lower( "Email" )') == normalized("LOWER(email)")


def test_temp_table_name_is_alembics() -> None:
    assert temp_table_name("account") == "_alembic_tmp_account"
    assert temp_table_name("t" * 60) == ("_alembic_tmp_" + "t" * 60)[:50]


def _account() -> sa.Table:
    return sa.Table(
        "account",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("email", sa.String(100)),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("account.id")),
        sa.CheckConstraint("length(name) > 0", name="ck_name"),
        sa.UniqueConstraint("email", "name", name="uq_email_name"),
        sa.Index("ix_email", "email"),
    )


def _ddl(table: sa.Table) -> str:
    return " ".join(str(sa.schema.CreateTable(table).compile(dialect=SQLITE)).split())


def test_renamed_columns_keep_their_data_and_their_constraints() -> None:
    rebuild = TableRebuild(_account(), dialect=SQLITE, reflected=False)
    rebuild.alter_column(ColumnAlteration("account", "name", new_column_name="title"))
    rebuild.alter_column(ColumnAlteration("account", "id", new_column_name="key"))
    new = rebuild.new_table()
    ddl = _ddl(new)
    assert "CONSTRAINT ck_name CHECK (length(title) > 0)" in ddl
    assert "CONSTRAINT uq_email_name UNIQUE (email, title)" in ddl
    # a self-referencing key names the table the new one becomes, and the renamed column
    assert 'FOREIGN KEY(parent_id) REFERENCES account ("key")' in ddl
    insert = str(rebuild.insert_from_select(new).compile(dialect=SQLITE))
    assert '("key", title, email, parent_id) SELECT account.id, account.name' in insert
    # the old name still finds the column, as in Alembic's batch mode
    assert rebuild.key_for("name") == rebuild.key_for("title") == "name"


def test_dropping_a_column_drops_what_needs_it() -> None:
    rebuild = TableRebuild(_account(), dialect=SQLITE, reflected=False)
    rebuild.drop_column("email")
    rebuild.drop_column("name")
    new = rebuild.new_table()
    assert "uq_email_name" not in _ddl(new) and "ck_name" not in _ddl(new)
    assert rebuild.final_indexes(new) == []


def test_missing_things_are_named_in_the_error() -> None:
    rebuild = TableRebuild(_account(), dialect=SQLITE, reflected=False)
    with pytest.raises(DistillError, match=r"table account has no column 'nope' \(its columns"):
        rebuild.drop_column("nope")
    with pytest.raises(DistillError, match="No such constraint: 'uq_x' on table account"):
        rebuild.drop_constraint(sa.UniqueConstraint(name="uq_x"))
    with pytest.raises(DistillError, match="No such index: 'ix_x' on table account"):
        rebuild.drop_index("ix_x")
    with pytest.raises(DistillError, match="Constraint must have a name"):
        rebuild.add_constraint(sa.UniqueConstraint("email"))
    with pytest.raises(DistillError, match="column order asked for table account is circular"):
        TableRebuild(
            _account(), dialect=SQLITE, reflected=False, partial_reordering=[("id", "name", "id")]
        ).final_order()


def test_unnamed_constraints_are_explained_when_a_name_is_dropped() -> None:
    table = sa.Table(
        "child",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pid", sa.Integer),
        sa.ForeignKeyConstraint(["pid"], ["parent.id"]),
    )
    rebuild = TableRebuild(table, dialect=SQLITE, reflected=True)
    with pytest.raises(DistillError) as error:
        rebuild.drop_constraint(sa.ForeignKeyConstraint(["pid"], ["parent.id"], name="fk_x"))
    assert "1 unnamed constraint(s) (FOREIGN KEY)" in str(error.value)
    assert "naming_convention=" in str(error.value)
