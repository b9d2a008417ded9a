"""`distill squash` carries what raw SQL made (functions, procedures, triggers, views,
sequences) into the baseline, with comments and server defaults, on SQLite, PostgreSQL
and MariaDB: a fresh database built from the baseline has the same objects, and they work."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.cli_project import assert_one_line_failure, distill, new_project, write_revision
from support.squash_project import run_on, snapshot

from distill.dialects.raw_objects import RawObject
from distill.squash.raw_objects import creation_order, raw_differences, raw_objects_at

TABLES = (
    'op.create_table("account", sa.Column("id", sa.Integer, primary_key=True), '
    'sa.Column("name", sa.String(50), nullable=False, comment="shown name"), '
    'sa.Column("status", sa.String(10), server_default="new", nullable=False), '
    'comment="people who sign in")\n'
    '    op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True), '
    'sa.Column("account_id", sa.Integer, nullable=False), '
    'sa.Column("action", sa.String(60), nullable=False))'
)

# per backend: the functions and the trigger (r2), what r2's downgrade drops, and m1's
# sequences; the trigger writes "kind :insert <name>" into audit (`\:` keeps text() from
# reading ":insert" as a bind parameter)
ROUTINES = {
    "sqlite": (
        [
            r"CREATE TRIGGER account_audit AFTER INSERT ON account BEGIN "
            r"INSERT INTO audit (account_id, action) VALUES (NEW.id, 'kind \:insert ' || NEW.name);"
            r" END"
        ],
        ["DROP TRIGGER account_audit"],
    ),
    "postgresql": (
        [
            "CREATE FUNCTION log_account() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
            "    INSERT INTO audit (account_id, action) "
            r"VALUES (NEW.id, 'kind \:insert ' || NEW.name);"
            "\n    RETURN NEW;\nEND\n$$",
            "CREATE PROCEDURE touch_accounts() LANGUAGE sql "
            "AS $$ UPDATE account SET status = 'seen' $$",
            "CREATE TRIGGER account_audit AFTER INSERT ON account "
            "FOR EACH ROW EXECUTE FUNCTION log_account()",
        ],
        [
            "DROP TRIGGER account_audit ON account",
            "DROP FUNCTION log_account()",
            "DROP PROCEDURE touch_accounts()",
        ],
    ),
    "mysql": (
        [
            "CREATE FUNCTION audit_label(n VARCHAR(50)) RETURNS VARCHAR(60) DETERMINISTIC "
            r"BEGIN DECLARE r VARCHAR(60); SET r = CONCAT('kind \:insert ', n); RETURN r; END",
            "CREATE PROCEDURE touch_accounts() BEGIN UPDATE account SET status = 'seen'; END",
            "CREATE TRIGGER account_audit AFTER INSERT ON account FOR EACH ROW BEGIN "
            "INSERT INTO audit (account_id, action) VALUES (NEW.id, audit_label(NEW.name)); END",
        ],
        [
            "DROP TRIGGER account_audit",
            "DROP FUNCTION audit_label",
            "DROP PROCEDURE touch_accounts",
        ],
    ),
}

SEQUENCES = {
    "sqlite": ([], []),
    "postgresql": (
        [
            'op.execute("CREATE SEQUENCE invoice_number START 1000 INCREMENT 5")',
            'op.execute(sa.schema.CreateSequence(sa.Sequence("ticket_seq", start=10)))',
            'op.execute("CREATE FUNCTION ticket_code() RETURNS text LANGUAGE sql '
            "AS $$ SELECT 'T-' || nextval('ticket_seq') $$\")",
            'op.create_table("ticket", sa.Column("id", sa.Integer, primary_key=True, '
            "server_default=sa.text(\"nextval('ticket_seq')\")), "
            'sa.Column("title", sa.String(50), server_default=sa.text("\'untitled\'")), '
            'sa.Column("code", sa.Text, server_default=sa.text("ticket_code()")))',
            'op.execute("CREATE MATERIALIZED VIEW account_count AS SELECT count(*) AS n '
            'FROM account")',
            'op.create_table("invoice", sa.Column("id", sa.Integer, sa.Sequence("invoice_ids"), '
            'primary_key=True), sa.Column("n", sa.BigInteger, sa.Identity(start=5)))',
            'op.create_table("old_name", sa.Column("id", sa.Integer, primary_key=True))',
            'op.rename_table("old_name", "renamed")',
        ],
        [
            'op.drop_table("invoice")',
            'op.drop_table("renamed")',
            'op.execute("DROP MATERIALIZED VIEW account_count")',
            'op.drop_table("ticket")',
            'op.execute("DROP FUNCTION ticket_code()")',
            'op.execute("DROP SEQUENCE ticket_seq")',
            'op.execute("DROP SEQUENCE invoice_number")',
        ],
    ),
    "mysql": (
        ['op.execute("CREATE SEQUENCE invoice_number START WITH 1000 INCREMENT BY 5")'],
        ['op.execute("DROP SEQUENCE invoice_number")'],
    ),
}


def _execute(sql: str) -> str:
    return f"op.execute({sql!r})"


def _project(tmp_path: Path, url: str, backend: str) -> Path:
    """r1 tables; r2 (functions, trigger) and r3 (views) branch off it; m1 merges them and
    adds sequences; d1 adds a commented column."""
    project = new_project(tmp_path, url)
    creates, drops = ROUTINES[backend]
    sequences, sequence_drops = SEQUENCES[backend]
    history: list[tuple[str, str | tuple[str, ...] | None, list[str], list[str]]] = [
        ("r1", None, [TABLES], ['op.drop_table("audit")', 'op.drop_table("account")']),
        ("r2", "r1", [_execute(sql) for sql in creates], [_execute(sql) for sql in drops]),
        (
            "r3",
            "r1",
            [
                _execute("CREATE VIEW b_names AS SELECT id, name FROM account"),
                _execute("CREATE VIEW a_top AS SELECT name FROM b_names WHERE id < 10"),
            ],
            [_execute("DROP VIEW a_top"), _execute("DROP VIEW b_names")],
        ),
        ("m1", ("r2", "r3"), sequences or ["pass"], sequence_drops or ["pass"]),
        (
            "d1",
            "m1",
            [
                'op.add_column("account", sa.Column("email", sa.String(100), '
                'server_default="none", comment="where mail goes"))'
            ],
            ['op.drop_column("account", "email")'],
        ),
    ]
    for rev, down, body, undo in history:
        write_revision(project, rev, down, "\n    ".join(body), "\n    ".join(undo))  # type: ignore[arg-type]
    return project


def _sql(url: str, *statements: str) -> list[tuple[object, ...]]:
    """Run `statements` in one committed transaction; the last one's rows."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as connection:
            rows: list[tuple[object, ...]] = []
            for statement in statements:
                result = connection.exec_driver_sql(statement)
                rows = [tuple(row) for row in result] if result.returns_rows else []
            return rows
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_raw_sql_objects_are_carried_into_the_baseline_and_work(
    tmp_path: Path, new_database: Callable[[str], str], backend: str
) -> None:
    full, fresh = new_database(backend), new_database(backend)
    project = _project(tmp_path, full, backend)
    run_on(project, full, "upgrade", "head")
    scratch = [] if backend == "sqlite" else ["--url", new_database(backend)]
    out = run_on(project, full, "squash", "d1", "-m", "baseline", *scratch)

    history_objects = raw_objects_at(full)
    labels = [raw.label for raw in history_objects]
    expected = {
        "sqlite": ["view b_names", "view a_top", "trigger account_audit"],
        "postgresql": [
            "sequence invoice_number",
            "sequence ticket_seq",
            "sequence invoice_ids",
            "sequence old_name_id_seq",
            "sequence owner old_name_id_seq",
            "function log_account()",
            "function ticket_code()",
            "procedure touch_accounts()",
            "view a_top",
            "view b_names",
            "materialized view account_count",
            "trigger account_audit on account",
        ],
        "mysql": [
            "sequence invoice_number",
            "function audit_label",
            "procedure touch_accounts",
            "view a_top",
            "view b_names",
            "trigger account_audit",
        ],
    }[backend]
    assert sorted(labels) == sorted(expected)
    (baseline,) = (project / "migrations" / "baseline").glob("*.py")
    text = baseline.read_text()
    for label in labels:
        line = f"{label}: made by raw SQL, carried over as op.execute; review it"
        assert f"  warning: {line}" in out and f"  - {line}" in text, label
    # views after what they name; the trigger after the function it calls
    upgrade = text[text.index("def upgrade") : text.index("def downgrade")]
    assert _at(upgrade, "VIEW .?b_names") < _at(upgrade, "VIEW .?a_top")
    assert _at(upgrade, "create_table") < _at(upgrade, "TRIGGER")
    if backend != "sqlite":
        assert _at(upgrade, "CREATE SEQUENCE") < _at(upgrade, "create_table")
        assert _at(upgrade, "FUNCTION") < _at(upgrade, "TRIGGER")

    run_on(project, fresh, "upgrade", "head")
    assert snapshot(fresh) == snapshot(full)
    assert raw_differences(history_objects, raw_objects_at(fresh)) == []
    # the trigger fires (through the function on PostgreSQL and MariaDB)
    rows = _sql(
        fresh,
        "INSERT INTO account (id, name) VALUES (1, 'ann')",
        "SELECT account_id, action FROM audit",
    )
    assert rows == [(1, "kind :insert ann")]
    assert _sql(fresh, "SELECT name FROM a_top") == [("ann",)]
    assert _sql(fresh, "SELECT status, email FROM account") == [("new", "none")]
    if backend != "sqlite":
        _sql(fresh, "CALL touch_accounts()")
        assert _sql(fresh, "SELECT status FROM account") == [("seen",)]
        quoted = "'invoice_number'" if backend == "postgresql" else "invoice_number"
        assert _sql(fresh, f"SELECT nextval({quoted})") == [(1000,)]
    if backend == "postgresql":
        # a renamed table's SERIAL keeps its sequence, and the sequence goes with the table
        assert _sql(fresh, "INSERT INTO renamed DEFAULT VALUES RETURNING id") == [(1,)]
        assert _sql(fresh, "INSERT INTO ticket DEFAULT VALUES RETURNING id, title, code") == [
            (10, "untitled", "T-11")
        ]
        assert _sql(
            fresh, "REFRESH MATERIALIZED VIEW account_count", "SELECT n FROM account_count"
        ) == [(1,)]

    # the baseline's downgrade (once it is the first revision) drops every one of them
    run_on(project, full, "squash", "--finalize")
    run_on(project, fresh, "downgrade", "base")
    assert snapshot(fresh).is_empty
    assert raw_objects_at(fresh) == []


def _at(text: str, pattern: str) -> int:
    """Where `pattern` first matches in `text`."""
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.start()


def _raw(kind: str, name: str, create: str) -> RawObject:
    return RawObject(kind, name, create, f"DROP {kind.upper()} {name}")


def test_creation_order_puts_each_object_after_what_it_names() -> None:
    objects = [
        _raw("trigger", "t", "CREATE TRIGGER t ... EXECUTE FUNCTION f()"),
        _raw("view", "a_top", "CREATE VIEW a_top AS SELECT * FROM b_names"),
        _raw("view", "b_names", "CREATE VIEW b_names AS SELECT f(x) FROM account"),
        _raw("function", "f(integer)", "CREATE FUNCTION f(x integer) ..."),
        _raw("sequence", "s", "CREATE SEQUENCE s"),
    ]
    ordered = [raw.name for raw in creation_order(objects)]
    assert ordered == ["s", "f(integer)", "b_names", "a_top", "t"]


def test_raw_differences_name_what_is_missing_added_or_changed() -> None:
    history = [_raw("view", "v", "CREATE VIEW v AS SELECT 1"), _raw("trigger", "t", "x")]
    rebuilt = [_raw("view", "v", "CREATE VIEW v AS SELECT 2"), _raw("function", "f()", "y")]
    assert raw_differences(history, rebuilt) == [
        "- trigger t",
        "+ function f()",
        "~ view v (its definition differs)",
    ]


def test_a_baseline_that_cannot_rebuild_the_history_fails_with_one_line(
    tmp_path: Path, pg_url: str, new_database: Callable[[str], str]
) -> None:
    # a SQL function that reads a table, called by another table's default: the baseline
    # must create it before the tables, where its body cannot be checked yet
    project = new_project(tmp_path, pg_url)
    body = "\n    ".join(
        [
            'op.create_table("account", sa.Column("id", sa.Integer, primary_key=True))',
            _execute(
                "CREATE FUNCTION account_total() RETURNS bigint LANGUAGE sql "
                "AS $$ SELECT count(*) FROM account $$"
            ),
            'op.create_table("report", sa.Column("id", sa.Integer, primary_key=True), '
            'sa.Column("total", sa.BigInteger, server_default=sa.text("account_total()")))',
        ]
    )
    write_revision(project, "r1", None, body)
    failed = distill(project, "squash", "r1", "--url", new_database("postgresql"))
    line = assert_one_line_failure(failed, "does not rebuild the schema of r1")
    assert "its upgrade failed" in line and 'relation "account" does not exist' in line
    assert "nothing was written" in line
    assert not list((project / "migrations").glob("baseline/*.py"))
