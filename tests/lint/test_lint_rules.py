"""Every op-level rule: fires on the bad case, is silent on the safe one, and is silenced
by `# distill: allow <rule> -- <why>` on the op's line."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest
from support.lint_project import new_project, rules, with_allow, write_revision


class Case(NamedTuple):
    rule: str
    dialect: str
    bad: str
    safe: str


AUTOCOMMIT_CONCURRENT = """
with op.get_context().autocommit_block():
    op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
"""

CASES = [
    Case(
        "drop-table",
        "postgresql",
        'op.drop_table("users")',
        'op.create_table("archive", sa.Column("id", sa.Integer, primary_key=True))',
    ),
    Case(
        "drop-column",
        "postgresql",
        'op.drop_column("users", "email")',
        'op.add_column("users", sa.Column("email2", sa.String(50)))',
    ),
    Case(
        "rename-table",
        "postgresql",
        'op.rename_table("users", "people")',
        'op.create_table("people", sa.Column("id", sa.Integer, primary_key=True))',
    ),
    Case(
        "rename-column",
        "mysql",
        'op.alter_column("users", "name", new_column_name="full_name", '
        "existing_type=sa.String(50))",
        'op.add_column("users", sa.Column("full_name", sa.String(50)))',
    ),
    Case(
        "add-required-column",
        "sqlite",
        'op.add_column("users", sa.Column("age", sa.Integer(), nullable=False))',
        'op.add_column("users", sa.Column("age", sa.Integer(), nullable=False, '
        'server_default="0"))',
    ),
    Case(
        "set-not-null",
        "postgresql",
        'op.alter_column("users", "email", existing_type=sa.String(50), nullable=False)',
        'op.alter_column("users", "email", existing_type=sa.String(50), nullable=True)',
    ),
    Case(
        "narrowing-type",
        "postgresql",
        'op.alter_column("users", "name", existing_type=sa.String(100), type_=sa.String(50))',
        'op.alter_column("users", "name", existing_type=sa.String(100), type_=sa.String(200))',
    ),
    Case(
        "rewrite-type-change",
        "postgresql",
        'op.alter_column("users", "age", existing_type=sa.Integer(), type_=sa.BigInteger())',
        'op.alter_column("users", "name", existing_type=sa.String(100), type_=sa.Text())',
    ),
    Case(
        "add-unique",
        "sqlite",
        'op.create_unique_constraint("uq_users_email", "users", ["email"])',
        'op.create_index("ix_users_email", "users", ["email"])',
    ),
    Case(
        "index-not-concurrent",
        "postgresql",
        'op.create_index("ix_users_email", "users", ["email"])',
        AUTOCOMMIT_CONCURRENT,
    ),
    Case(
        "concurrently-outside-autocommit",
        "postgresql",
        'op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)',
        AUTOCOMMIT_CONCURRENT,
    ),
    Case(
        "constraint-not-valid",
        "postgresql",
        'op.create_foreign_key("fk_users_org", "users", "orgs", ["org_id"], ["id"])',
        'op.create_foreign_key("fk_users_org", "users", "orgs", ["org_id"], ["id"], '
        "postgresql_not_valid=True)",
    ),
    Case(
        "volatile-default",
        "postgresql",
        'op.add_column("users", sa.Column("token", sa.Uuid(), '
        'server_default=sa.text("gen_random_uuid()")))',
        'op.add_column("users", sa.Column("seen", sa.DateTime(), server_default=sa.func.now()))',
    ),
    Case(
        "unnamed-constraint",
        "sqlite",
        'op.create_foreign_key(None, "users", "orgs", ["org_id"], ["id"])',
        'op.create_foreign_key("fk_users_org", "users", "orgs", ["org_id"], ["id"])',
    ),
    Case(
        "identifier-too-long",
        "postgresql",
        'op.add_column("users", sa.Column("' + "x" * 64 + '", sa.Integer()))',
        'op.add_column("users", sa.Column("' + "x" * 63 + '", sa.Integer()))',
    ),
    Case(
        "table-rebuild",
        "sqlite",
        'op.alter_column("users", "age", existing_type=sa.Integer(), nullable=False)',
        'op.add_column("users", sa.Column("nickname", sa.String(20)))',
    ),
    Case(
        "non-atomic-ddl",
        "mysql",
        'op.add_column("users", sa.Column("a", sa.Integer()))\n'
        'op.add_column("users", sa.Column("b", sa.Integer()))',
        'op.add_column("users", sa.Column("a", sa.Integer()))',
    ),
    Case(
        "mixed-ddl-data",
        "sqlite",
        'op.add_column("users", sa.Column("a", sa.Integer()))\n'
        'op.execute("UPDATE users SET a = 1")',
        'colours = op.create_table("colours", sa.Column("id", sa.Integer, primary_key=True))\n'
        'op.bulk_insert(colours, [{"id": 1}, {"id": 2}])',
    ),
    Case(
        "too-many-operations",
        "sqlite",
        "\n".join(f'op.add_column("users", sa.Column("c{n}", sa.Integer()))' for n in range(11)),
        "\n".join(f'op.add_column("users", sa.Column("c{n}", sa.Integer()))' for n in range(10)),
    ),
    Case(
        "unparsed-sql",
        "postgresql",
        'op.execute("SELEC nonsense FRM users")',
        'op.execute("SELECT count(*) FROM users")',
    ),
    Case(
        "not-recorded",
        "sqlite",
        'op.get_bind().execute(sa.text("SELECT id FROM users")).fetchall()',
        'op.execute("SELECT id FROM users")',
    ),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return new_project(tmp_path)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.rule)
def test_rule_fires_on_the_bad_case(project: Path, case: Case) -> None:
    path = write_revision(project, case.bad)
    assert case.rule in rules(project, path, case.dialect)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.rule)
def test_rule_is_silent_on_the_safe_case(project: Path, case: Case) -> None:
    path = write_revision(project, case.safe)
    assert case.rule not in rules(project, path, case.dialect)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.rule)
def test_rule_is_silenced_by_its_allow_comment(project: Path, case: Case) -> None:
    path = write_revision(project, with_allow(case.bad, case.rule))
    assert case.rule not in rules(project, path, case.dialect)


def test_an_allow_comment_for_another_rule_silences_nothing(project: Path) -> None:
    path = write_revision(project, with_allow('op.drop_table("users")', "drop-column"))
    assert "drop-table" in rules(project, path, "sqlite")


def test_an_allow_comment_without_a_reason_silences_nothing(project: Path) -> None:
    path = write_revision(project, 'op.drop_table("users")  # distill: allow drop-table')
    found = rules(project, path, "sqlite")
    assert "drop-table" in found
    assert "allow-needs-reason" in found


def test_allow_comment_on_any_line_of_a_multi_line_call(project: Path) -> None:
    body = (
        "op.drop_column(\n"
        '    "users",  # distill: allow drop-column -- unused since v2\n'
        '    "email",\n'
        ")"
    )
    path = write_revision(project, body)
    assert "drop-column" not in rules(project, path, "sqlite")


def test_changes_to_a_table_created_in_the_same_revision_are_safe(project: Path) -> None:
    body = """
    op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True))
    op.add_column("orders", sa.Column("total", sa.Integer(), nullable=False))
    op.create_index("ix_orders_total", "orders", ["total"])
    op.drop_column("orders", "total")
    """
    found = rules(project, write_revision(project, body), "postgresql")
    assert not {"add-required-column", "index-not-concurrent", "drop-column"} & set(found)


def test_index_rule_is_postgresql_only(project: Path) -> None:
    path = write_revision(project, 'op.create_index("ix_users_email", "users", ["email"])')
    assert "index-not-concurrent" in rules(project, path, "postgresql")
    assert "index-not-concurrent" not in rules(project, path, "mysql")
    assert "index-not-concurrent" not in rules(project, path, "sqlite")


def test_mysql_allows_64_characters_and_sqlite_more(project: Path) -> None:
    column = 'op.add_column("users", sa.Column("' + "x" * 65 + '", sa.Integer()))'
    path = write_revision(project, column)
    assert "identifier-too-long" in rules(project, path, "mysql")
    assert "identifier-too-long" not in rules(project, path, "sqlite")


def test_batch_operations_are_checked_too(project: Path) -> None:
    body = """
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("email")
    """
    findings = [f for f in _lint(project, body, "sqlite") if f.rule == "drop-column"]
    assert [finding.line for finding in findings] == [13]


def test_finding_names_revision_line_reason_and_alternative(project: Path) -> None:
    [finding] = [f for f in _lint(project, 'op.drop_table("users")', "sqlite")]
    assert (finding.rule, finding.severity, finding.revision, finding.line) == (
        "drop-table",
        "error",
        "a1",
        12,
    )
    assert "users" in finding.reason
    assert "later revision" in finding.alternative


def test_naming_convention_names_the_constraint(project: Path) -> None:
    env = project / "migrations" / "env.py"
    text = env.read_text()
    assert "target_metadata = None" in text
    env.write_text(
        text.replace(
            "target_metadata = None",
            "from sqlalchemy import MetaData\n"
            'target_metadata = MetaData(naming_convention={"fk": "fk_%(table_name)s_'
            '%(column_0_name)s_%(referred_table_name)s"})',
        )
    )
    path = write_revision(
        project, 'op.create_foreign_key(None, "users", "orgs", ["org_id"], ["id"])'
    )
    assert "unnamed-constraint" not in rules(project, path, "sqlite")


def _lint(project: Path, body: str, dialect: str) -> list:  # type: ignore[type-arg]
    from support.lint_project import lint

    return lint(project, write_revision(project, body), dialect)


def test_an_allow_comment_naming_no_rule_is_reported(project: Path) -> None:
    path = write_revision(project, with_allow('op.drop_table("users")', "drop-tabel"))
    found = rules(project, path, "sqlite")
    assert "drop-table" in found
    assert "unknown-rule" in found
