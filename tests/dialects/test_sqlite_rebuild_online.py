"""SQLite's ALTER limits handled by rebuilding the table, inside the migration's transaction,
on a real database file with data, indexes, triggers, views and foreign keys both ways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.failures import failure_text
from support.op_runs import offline, online
from support.runtime_project import Project
from support.sqlite_rebuild import (
    foreign_keys_on,
    make_library,
    migration,
    rows,
    state,
    table_sql,
)

from distill import command
from distill.errors import DistillError


def _changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """Names of the schema objects whose stored SQL changed, and tables whose rows changed."""
    old = {name: sql for _, name, _, sql in before["objects"]}
    new = {name: sql for _, name, _, sql in after["objects"]}
    names = {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}
    names |= {f"rows:{t}" for t in before["rows"] if before["rows"][t] != after["rows"].get(t)}
    return names


def test_alter_column_rebuilds_and_keeps_everything_else(sqlite_url: str) -> None:
    engine = make_library(sqlite_url)
    with engine.connect() as connection:
        before = state(connection)
        with migration(connection) as op:
            op.alter_column("author", "score", nullable=False, server_default="0")
            op.alter_column("author", "email", type_=sa.String(200))
            op.alter_column("author", "code", type_=sa.Integer)  # '7' -> 7: no value lost
        after = state(connection)
        # only the table itself changed: every index, trigger and view is as it was
        assert _changed(before, after) == {"author", "rows:author"}
        sql = table_sql(connection, "author")
        assert "score REAL DEFAULT '0' NOT NULL" in sql and "email VARCHAR(200)" in sql
        assert "AUTOINCREMENT" in sql and 'COLLATE "NOCASE"' in sql
        assert "GENERATED ALWAYS AS (lower(name)) VIRTUAL" in sql
        assert "REFERENCES org (id) ON DELETE SET NULL" in sql
        assert rows(connection, "SELECT id, code, typeof(code) FROM author ORDER BY id") == [
            (1, 7, "integer"),
            (2, 12, "integer"),
            (4, 3, "integer"),
        ]
        # the other columns' rows are untouched, the child table too (no cascade happened)
        strip = [(r[:12] + r[14:]) for r in before["rows"]["author"]]
        assert [(r[:12] + r[14:]) for r in after["rows"]["author"]] == strip
        assert after["rows"]["book"] == before["rows"]["book"]
        # the objects still work on the new table
        connection.exec_driver_sql("INSERT INTO author (name) VALUES ('Dee')")
        connection.exec_driver_sql("INSERT INTO book VALUES (14, 5, 'new')")
        connection.commit()
        assert rows(connection, "SELECT msg FROM audit") == [("author Dee",), ("book of Dee",)]
        assert ("Dee", "new") in rows(connection, "SELECT * FROM author_books")
        assert rows(connection, "SELECT id FROM author WHERE name = 'DEE'") == [(5,)]  # NOCASE
        assert rows(connection, "SELECT seq FROM sqlite_sequence WHERE name = 'author'") == [(5,)]
        assert rows(connection, "PRAGMA foreign_key_check") == []


def test_the_autoincrement_counter_survives_the_rebuild(sqlite_url: str) -> None:
    engine = make_library(sqlite_url)
    with engine.connect() as connection:
        with migration(connection) as op:
            op.alter_column("author", "bio", type_=sa.Text)
        # 'gone' had id 3 and was deleted: the next id is still 5, not 4 or 3
        connection.exec_driver_sql("INSERT INTO author (name) VALUES ('eve')")
        assert rows(connection, "SELECT max(id) FROM author") == [(5,)]


def test_rename_and_retype_rewrites_views_triggers_and_indexes(sqlite_url: str) -> None:
    engine = make_library(sqlite_url)
    with engine.connect() as connection:
        with migration(connection) as op:
            op.alter_column("author", "name", new_column_name="full_name", type_=sa.String(80))
        assert "full_name" in table_sql(connection, "ux_author_name")
        assert "a.full_name" in table_sql(connection, "author_books")
        assert "author_added" in {r[0] for r in rows(connection, "SELECT name FROM sqlite_master")}
        assert "new.full_name" in table_sql(connection, "author_added")
        assert ("ada", "engines") in rows(connection, "SELECT * FROM author_books")
        connection.exec_driver_sql("INSERT INTO author (full_name) VALUES ('fay')")
        connection.commit()
        assert rows(connection, "SELECT msg FROM audit") == [("author fay",)]


def test_drop_column_that_sqlite_refuses_drops_its_indexes_too(sqlite_url: str) -> None:
    engine = make_library(sqlite_url)
    with engine.connect() as connection:
        before = state(connection)
        with migration(connection) as op:
            op.drop_column("author", "email")  # indexed twice, once in an expression
        after = state(connection)
        # like PostgreSQL's DROP COLUMN: the indexes on it go, everything else stays
        assert _changed(before, after) == {
            "author",
            "rows:author",
            "ix_author_email",
            "ix_author_lower",
        }
        assert "ix_author_email" not in {name for _, name, _, _ in after["objects"]}
        assert len(after["rows"]["author"]) == 3


def test_constraints_are_added_and_dropped_by_rebuilding(sqlite_url: str) -> None:
    engine = make_library(sqlite_url)
    with engine.connect() as connection:
        before = state(connection)
        with migration(connection) as op:
            op.create_unique_constraint("uq_author_code", "author", ["code"])
            op.create_check_constraint("ck_author_name", "author", "length(name) > 1")
            op.drop_constraint("ck_score", "author", type_="check")
            op.add_column("book", sa.Column("isbn", sa.String(13), unique=True))
            op.add_column("book", sa.Column("editor_id", sa.Integer))
            op.create_foreign_key("fk_book_editor", "book", "author", ["editor_id"], ["id"])
            op.create_foreign_key("fk_book_org", "book", "org", ["editor_id"], ["id"])
            op.drop_constraint("fk_book_org", "book", type_="foreignkey")
        sql = table_sql(connection, "author")
        assert "CONSTRAINT uq_author_code UNIQUE (code)" in sql
        assert "CONSTRAINT ck_author_name CHECK (length(name) > 1)" in sql
        assert "ck_score" not in sql
        assert "isbn VARCHAR(13)" in table_sql(connection, "book")
        book = table_sql(connection, "book")
        assert "fk_book_org" not in book
        assert "CONSTRAINT fk_book_editor FOREIGN KEY(editor_id) REFERENCES author (id)" in book
        after = state(connection)
        assert after["rows"]["author"] == before["rows"]["author"]
        assert [r[:6] for r in after["rows"]["book"]] == before["rows"]["book"]
        assert {r[6:] for r in after["rows"]["book"]} == {(None, "null", None, "null")}
        # the child's key to author survived the rebuild of book, with its action
        assert "REFERENCES author (id) ON DELETE CASCADE" in table_sql(connection, "book")
        assert rows(connection, "PRAGMA foreign_key_check") == []


def test_a_primary_key_can_be_given_to_a_table_without_one(sqlite_url: str) -> None:
    engine = make_library(sqlite_url)
    with engine.connect() as connection:
        connection.exec_driver_sql("INSERT INTO audit VALUES ('a'), ('b')")
        connection.commit()
        with migration(connection) as op:
            op.create_primary_key("pk_audit", "audit", ["msg"])
        assert "CONSTRAINT pk_audit PRIMARY KEY (msg)" in table_sql(connection, "audit")
        assert rows(connection, "SELECT msg FROM audit ORDER BY msg") == [("a",), ("b",)]


def test_add_column_that_add_column_refuses_is_done_by_a_rebuild(sqlite_url: str) -> None:
    engine = make_library(sqlite_url)
    with engine.connect() as connection:
        with migration(connection) as op:
            op.add_column(
                "org",
                sa.Column("created", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
            )
            op.add_column("org", sa.Column("rank", sa.Integer, nullable=False, server_default="1"))
        assert rows(connection, "SELECT id, title, rank FROM org") == [
            (1, "north", 1),
            (2, "south", 1),
        ]
        assert all(row[0] for row in rows(connection, "SELECT created FROM org"))


def test_rebuild_works_where_the_connection_is_outside_a_transaction(sqlite_url: str) -> None:
    """With no transaction open, foreign keys can be (and are) switched off for the 12 steps."""
    engine = foreign_keys_on(make_library(sqlite_url))
    with engine.connect() as connection:
        with online(connection) as op:
            op.alter_column("author", "score", nullable=False)
        connection.commit()
        # ON DELETE CASCADE did not fire: the books are all there, and enforcement is back on
        assert len(rows(connection, "SELECT * FROM book")) == 4
        assert rows(connection, "PRAGMA foreign_keys") == [(1,)]


def test_enforced_foreign_keys_inside_the_transaction_keep_children(sqlite_url: str) -> None:
    """PRAGMA foreign_keys=ON cannot change inside a transaction: the rows come back into a
    table that already has its final name, and the deferred checks settle."""
    engine = foreign_keys_on(make_library(sqlite_url))
    with engine.connect() as connection:
        # the child's key without an ON DELETE action: nothing would cascade
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.exec_driver_sql("DROP VIEW author_books")
        connection.exec_driver_sql("DROP TRIGGER book_added")
        connection.exec_driver_sql("ALTER TABLE book RENAME TO old_book")
        connection.exec_driver_sql(
            "CREATE TABLE book (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES author(id),"
            " title TEXT)"
        )
        connection.exec_driver_sql("INSERT INTO book SELECT * FROM old_book")
        connection.exec_driver_sql("DROP TABLE old_book")
        connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        before = state(connection)
        statements: list[str] = []
        sa.event.listen(
            connection, "before_cursor_execute", lambda *args: statements.append(args[2])
        )
        with migration(connection) as op:
            op.alter_column("author", "email", type_=sa.String(300))
        assert rows(connection, "PRAGMA foreign_keys") == [(1,)]
        # the copy went out to the holding table and back into the final one
        copies = [s.split("(")[0].strip() for s in statements if s.startswith("INSERT INTO")]
        assert copies[-2:] == ["INSERT INTO _alembic_tmp_author", "INSERT INTO author"]
        assert any(s.startswith("CREATE INDEX _distill_fk_1 ON book") for s in statements)
        after = state(connection)
        assert after["rows"] == before["rows"]
        # the temporary index on book(author_id) that kept this fast is gone again
        assert _changed(before, after) == {"author"}
        assert rows(connection, "PRAGMA foreign_key_check") == []
        with pytest.raises(sa.exc.IntegrityError):  # still enforced against the new table
            connection.exec_driver_sql("INSERT INTO book VALUES (99, 42, 'orphan')")
        connection.rollback()


def test_enforced_cascade_inside_the_transaction_is_refused(sqlite_url: str) -> None:
    engine = foreign_keys_on(make_library(sqlite_url))
    with engine.connect() as connection:
        before = state(connection)
        with pytest.raises(DistillError) as error, migration(connection) as op:
            op.alter_column("author", "score", nullable=False)
        message = str(error.value)
        assert "table book refers to author with ON DELETE CASCADE" in message
        assert "4 row(s) of book" in message and "PRAGMA foreign_keys=OFF" in message
        assert state(connection) == before


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda op: op.alter_column("author", "bio", nullable=False),
            "column bio of table author would become NOT NULL, but 2 of its 3 rows hold NULL",
        ),
        (
            lambda op: (
                op.execute("UPDATE author SET code = '007' WHERE id = 1"),
                op.execute("UPDATE author SET code = '123456789012345678901' WHERE id = 2"),
                op.alter_column("author", "code", type_=sa.Integer),
            ),
            "changing the type of column code of table author to INTEGER would change the "
            "stored value of 2 row(s)",
        ),
        (
            lambda op: op.create_unique_constraint("uq_book_author", "book", ["author_id"]),
            "the new UNIQUE constraint uq_book_author on book (author_id) does not hold: 1 "
            "value(s) occur in more than one row",
        ),
        (
            lambda op: op.create_check_constraint("ck_positive", "author", "score > 1"),
            "the new CHECK constraint ck_positive on author (score > 1) fails for 1 row(s)",
        ),
        (
            lambda op: op.create_foreign_key("fk_code", "author", "book", ["code"], ["id"]),
            "2 row(s) of table author refer to rows of book that do not exist",
        ),
        (
            lambda op: op.drop_column("book", "title"),
            "the new definition of table book breaks another part of the schema: error in "
            "view author_books",
        ),
        (
            lambda op: op.add_column("org", sa.Column("rank", sa.Integer, nullable=False)),
            "column rank is added to table org as NOT NULL without a server default, and the "
            "table has 2 rows",
        ),
    ],
    ids=[
        "not-null-with-nulls",
        "text-to-integer-loses-digits",
        "duplicates",
        "check",
        "dangling-foreign-key",
        "view-needs-the-column",
        "not-null-without-default",
    ],
)
def test_a_rebuild_that_would_lose_or_alter_data_changes_nothing(
    sqlite_url: str, change: Any, expected: str
) -> None:
    engine = make_library(sqlite_url)
    with engine.connect() as connection:
        before = state(connection)
        with pytest.raises(DistillError) as error, migration(connection) as op:
            change(op)
        assert expected in str(error.value)
        assert "nothing was changed" in str(error.value)
        assert state(connection) == before


def test_a_failed_rebuild_inside_a_revision_rolls_the_revision_back(
    tmp_path: Path, sqlite_url: str
) -> None:
    engine = make_library(sqlite_url)
    with engine.connect() as connection:
        before = state(connection)
    project = Project(tmp_path / "project", sqlite_url)
    project.add(
        "aaa111",
        None,
        "tighten",
        """
        op.add_column("org", sa.Column("note", sa.Text))
        op.alter_column("author", "bio", nullable=False)
        """,
    )
    with pytest.raises(Exception) as error:
        command.upgrade(project.config(), "head")
    assert "would become NOT NULL, but 2 of its 3 rows hold NULL" in failure_text(error.value)
    assert "rolled back: database unchanged" in failure_text(error.value)
    with engine.connect() as connection:
        after = state(connection)
    assert after["rows"] == before["rows"]
    assert [o for o in after["objects"] if o[1] != "alembic_version"] == before["objects"]


def test_offline_a_rebuild_points_to_batch_mode_with_copy_from() -> None:
    with offline("sqlite") as (op, _), pytest.raises(DistillError) as error:
        op.alter_column("author", "score", nullable=False)
    message = str(error.value)
    assert "alter_column('author', 'score')" in message and "offline (--sql)" in message
    assert "op.batch_alter_table('author', copy_from=sa.Table(" in message


def test_old_sqlite_without_drop_column_rebuilds_instead(sqlite_url: str) -> None:
    engine = make_library(sqlite_url)
    with engine.connect() as connection, migration(connection) as op:
        op.impl.can_drop_column = False  # as on SQLite < 3.35
        op.drop_column("author", "bio")
    with engine.connect() as connection:
        assert "bio" not in table_sql(connection, "author")
        assert len(rows(connection, "SELECT * FROM author")) == 3
