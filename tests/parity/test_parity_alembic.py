"""Parity with real Alembic: the same project, migrated by Alembic and by distill.

Projects are made by the real `alembic init` and `alembic revision`; each tool runs in
a subprocess on its own fresh database, and the reflected schemas, the data and the
version table must be identical after every command, online and through `--sql`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DatabaseFactory
from support.alembic_projects import Rev, make_project, run, run_script, snapshot

ACCOUNT = Rev(
    "a1000000",
    (),
    "create account",
    upgrade="""
op.create_table(
    "account",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
)
op.create_index("ix_account_name", "account", ["name"])
op.execute("INSERT INTO account (id, name) VALUES (1, 'ann')")
op.execute("INSERT INTO account (id, name) VALUES (2, 'bob')")
""",
    downgrade="""
op.drop_index("ix_account_name", table_name="account")
op.drop_table("account")
""",
)
EMAIL = Rev(
    "b2000000",
    ("a1000000",),
    "add email",
    upgrade="""
op.add_column("account", sa.Column("email", sa.String(100), nullable=True))
account = sa.table("account", sa.column("email", sa.String()))
op.execute(account.update().values(email="someone@example.com"))
""",
    downgrade='op.drop_column("account", "email")',
)
ORDERS = Rev(
    "c3000000",
    ("b2000000",),
    "create orders",
    upgrade="""
orders = op.create_table(
    "orders",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id"), nullable=False),
    sa.Column("amount", sa.Numeric(10, 2), nullable=False),
)
op.bulk_insert(
    orders,
    [{"id": 1, "account_id": 1, "amount": 9.5}, {"id": 2, "account_id": 2, "amount": 3}],
)
""",
    downgrade='op.drop_table("orders")',
)
TAGS = Rev(
    "c3b00000",
    ("b2000000",),
    "create tags on a second branch",
    upgrade="""
op.create_table(
    "tag", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("label", sa.String(20))
)
op.create_index("ix_tag_label", "tag", ["label"], unique=True)
""",
    downgrade="""
op.drop_index("ix_tag_label", table_name="tag")
op.drop_table("tag")
""",
)
MERGE = Rev(
    "d4000000",
    ("c3000000", "c3b00000"),
    "merge orders and tags",
    upgrade='op.add_column("tag", sa.Column("weight", sa.Integer(), nullable=True))',
    downgrade='op.drop_column("tag", "weight")',
)
AFTER_MERGE = Rev(
    "e5000000",
    ("d4000000",),
    "after merge",
    upgrade='op.execute("UPDATE tag SET weight = 1")',
    downgrade="pass",
)

HISTORIES = {
    "linear": [ACCOUNT, EMAIL, ORDERS],
    "branched": [ACCOUNT, EMAIL, ORDERS, TAGS],
    "merged": [ACCOUNT, EMAIL, ORDERS, TAGS, MERGE, AFTER_MERGE],
}

# Each history's command sequence; after each command both databases are compared.
SEQUENCES = {
    "linear": [
        ["upgrade", "+1"],
        ["upgrade", "head"],
        ["downgrade", "-1"],
        ["downgrade", "a1000000"],
        ["upgrade", "c3000000"],
        ["downgrade", "base"],
    ],
    "branched": [
        ["upgrade", "b2000000"],
        ["upgrade", "c3000000"],
        ["upgrade", "heads"],
        ["downgrade", "c3000000-1"],
        ["upgrade", "heads"],
        ["downgrade", "base"],
    ],
    "merged": [
        ["upgrade", "c3b00000"],
        ["upgrade", "heads"],
        ["downgrade", "d4000000"],
        ["downgrade", "c3000000"],
        ["upgrade", "head"],
        ["downgrade", "base"],
    ],
}


def _version_rows(state: dict[str, object]) -> object:
    """The alembic_version rows of a snapshot."""
    table = state.get("alembic_version")
    return table["rows"] if isinstance(table, dict) else None


@pytest.mark.parametrize("history", sorted(HISTORIES))
def test_online_upgrade_and_downgrade_match_alembic(
    history: str, backend: str, new_database: DatabaseFactory, tmp_path: Path
) -> None:
    alembic_url, distill_url = new_database(backend), new_database(backend)
    by_alembic = make_project(tmp_path / "a", alembic_url, HISTORIES[history])
    by_distill = make_project(tmp_path / "d", distill_url, HISTORIES[history])
    for command in SEQUENCES[history]:
        run("alembic", by_alembic, *command)
        run("distill", by_distill, *command)
        expected, actual = snapshot(alembic_url), snapshot(distill_url)
        assert _version_rows(actual) == _version_rows(expected), command
        assert actual == expected, command


@pytest.mark.parametrize("history", sorted(HISTORIES))
def test_offline_script_has_the_same_effect_as_alembic(
    history: str, backend: str, new_database: DatabaseFactory, tmp_path: Path
) -> None:
    alembic_url, distill_url = new_database(backend), new_database(backend)
    by_alembic = make_project(tmp_path / "a", alembic_url, HISTORIES[history])
    by_distill = make_project(tmp_path / "d", distill_url, HISTORIES[history])
    up = run("alembic", by_alembic, "upgrade", "heads", "--sql").stdout
    ours = run("distill", by_distill, "upgrade", "heads", "--sql").stdout
    run_script(alembic_url, up)
    run_script(distill_url, ours)
    assert snapshot(distill_url) == snapshot(alembic_url)

    heads = sorted(r.rev_id for r in HISTORIES[history] if not _children(history, r.rev_id))
    start = heads[0] if len(heads) == 1 else None
    if start is not None:  # a single head: the whole downgrade as one script
        down = run("alembic", by_alembic, "downgrade", f"{start}:base", "--sql").stdout
        ours = run("distill", by_distill, "downgrade", f"{start}:base", "--sql").stdout
        run_script(alembic_url, down)
        run_script(distill_url, ours)
        assert snapshot(distill_url) == snapshot(alembic_url)


def _children(history: str, rev_id: str) -> list[str]:
    """Revisions of a history whose parent is `rev_id`."""
    return [r.rev_id for r in HISTORIES[history] if rev_id in r.parents]


@pytest.mark.parametrize("backend_name", ["sqlite"])
def test_database_migrated_by_alembic_continues_under_distill_and_back(
    backend_name: str, new_database: DatabaseFactory, tmp_path: Path
) -> None:
    url = new_database(backend_name)
    project = make_project(tmp_path / "p", url, HISTORIES["merged"])
    run("alembic", project, "upgrade", "c3000000")
    run("distill", project, "upgrade", "heads")
    assert run("alembic", project, "current").stdout.split()[0] == "e5000000"
    run("alembic", project, "downgrade", "c3b00000")
    run("distill", project, "downgrade", "b2000000")
    assert run("alembic", project, "current").stdout == "b2000000 (branchpoint)\n"
    assert run("distill", project, "current").stdout == "b2000000 (branchpoint)\n"
