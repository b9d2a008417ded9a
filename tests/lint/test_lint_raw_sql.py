"""op.execute() SQL is parsed in the database's grammar, so the rules apply to it too;
SQL the parser does not understand is reported, never ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.lint_project import new_project, rules, with_allow, write_revision

# (rule, dialect, bad SQL, safe SQL)
SQL_CASES = [
    ("drop-table", "postgresql", "DROP TABLE users", "CREATE TABLE archive (id INT)"),
    ("drop-column", "postgresql", "ALTER TABLE users DROP COLUMN email", "SELECT 1"),
    ("rename-table", "postgresql", "ALTER TABLE users RENAME TO people", "SELECT 1"),
    ("rename-column", "postgresql", "ALTER TABLE users RENAME COLUMN a TO b", "SELECT 1"),
    (
        "add-required-column",
        "postgresql",
        "ALTER TABLE users ADD COLUMN age INT NOT NULL",
        "ALTER TABLE users ADD COLUMN age INT NOT NULL DEFAULT 0",
    ),
    (
        "set-not-null",
        "postgresql",
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
    ),
    (
        "rewrite-type-change",
        "mysql",
        "ALTER TABLE users MODIFY name VARCHAR(10)",
        "ALTER TABLE users ADD COLUMN nickname VARCHAR(10)",
    ),
    (
        "add-unique",
        "postgresql",
        "ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE (email)",
        "CREATE INDEX CONCURRENTLY ix_users_email ON users (email)",
    ),
    (
        "index-not-concurrent",
        "postgresql",
        "CREATE INDEX ix_users_email ON users (email)",
        "CREATE INDEX CONCURRENTLY ix_users_email ON users (email)",
    ),
    (
        "concurrently-outside-autocommit",
        "postgresql",
        "CREATE INDEX CONCURRENTLY ix_users_email ON users (email)",
        "CREATE INDEX ix_users_email ON users (email)",
    ),
    (
        "constraint-not-valid",
        "postgresql",
        "ALTER TABLE users ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id)",
        "ALTER TABLE users ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id) "
        "NOT VALID",
    ),
    (
        "volatile-default",
        "postgresql",
        "ALTER TABLE users ADD COLUMN token UUID DEFAULT gen_random_uuid()",
        "ALTER TABLE users ADD COLUMN seen TIMESTAMP DEFAULT now()",
    ),
    (
        "unnamed-constraint",
        "mysql",
        "ALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id)",
        "ALTER TABLE users ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id)",
    ),
    (
        "identifier-too-long",
        "postgresql",
        f"ALTER TABLE users ADD COLUMN {'y' * 64} INT",
        f"ALTER TABLE users ADD COLUMN {'y' * 63} INT",
    ),
    (
        "mixed-ddl-data",
        "sqlite",
        "ALTER TABLE users ADD COLUMN a INT; UPDATE users SET a = 1",
        "CREATE TABLE colours (id INT); INSERT INTO colours VALUES (1)",
    ),
    (
        "non-atomic-ddl",
        "mysql",
        "ALTER TABLE users ADD COLUMN a INT; ALTER TABLE users ADD COLUMN b INT",
        "ALTER TABLE users ADD COLUMN a INT, ADD COLUMN b INT",
    ),
    ("unparsed-sql", "postgresql", "SELEC nonsense FRM users", "SELECT count(*) FROM users"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return new_project(tmp_path)


def _execute(sql: str) -> str:
    return f"op.execute({sql!r})"


@pytest.mark.parametrize("case", SQL_CASES, ids=lambda case: case[0])
def test_rule_fires_on_raw_sql(project: Path, case: tuple[str, str, str, str]) -> None:
    rule, dialect, bad, _ = case
    assert rule in rules(project, write_revision(project, _execute(bad)), dialect)


@pytest.mark.parametrize("case", SQL_CASES, ids=lambda case: case[0])
def test_rule_is_silent_on_safe_raw_sql(project: Path, case: tuple[str, str, str, str]) -> None:
    rule, dialect, _, safe = case
    assert rule not in rules(project, write_revision(project, _execute(safe)), dialect)


@pytest.mark.parametrize("case", SQL_CASES, ids=lambda case: case[0])
def test_raw_sql_rule_is_silenced_by_its_allow_comment(
    project: Path, case: tuple[str, str, str, str]
) -> None:
    rule, dialect, bad, _ = case
    path = write_revision(project, with_allow(_execute(bad), rule))
    assert rule not in rules(project, path, dialect)


def test_text_construct_and_core_statements_are_read(project: Path) -> None:
    body = """
    op.execute(sa.text("ALTER TABLE users DROP COLUMN email"))
    users = sa.table("users", sa.column("a", sa.Integer))
    op.execute(users.update().values(a=1))
    """
    found = rules(project, write_revision(project, body), "postgresql")
    assert "drop-column" in found
    assert "mixed-ddl-data" in found


def test_sql_through_get_bind_is_read_too(project: Path) -> None:
    body = 'op.get_bind().execute(sa.text("DROP TABLE users"))'
    assert "drop-table" in rules(project, write_revision(project, body), "sqlite")


def test_statement_the_parser_only_half_knows_is_reported(project: Path) -> None:
    path = write_revision(project, _execute("ALTER TYPE mood ADD VALUE 'sad'"))
    from support.lint_project import lint

    [finding] = [f for f in lint(project, path, "postgresql") if f.rule == "unparsed-sql"]
    assert "ALTER TYPE mood" in finding.reason
