"""`distill squash` through the command line on SQLite, PostgreSQL and MariaDB: a history
with a branch, a merge, an enum, indexes, foreign keys and data statements."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.cli_project import distill, new_project, write_revision
from support.squash_project import run_on, snapshot

STATUS = 'sa.Enum("active", "closed", name="status")'
HISTORY: list[tuple[str, str | tuple[str, ...] | None, str, str]] = [
    (
        "a1",
        None,
        'op.create_table("account", sa.Column("id", sa.Integer, primary_key=True), '
        'sa.Column("name", sa.String(50), nullable=False), '
        f'sa.Column("status", {STATUS}, server_default="active", nullable=False))\n'
        '    op.create_index("ix_account_name", "account", ["name"])',
        'op.drop_index("ix_account_name", "account")\n    op.drop_table("account")\n'
        '    sa.Enum(name="status").drop(op.get_bind(), checkfirst=True)',
    ),
    (
        "a2",
        "a1",
        'role = op.create_table("role", sa.Column("id", sa.Integer, primary_key=True), '
        'sa.Column("name", sa.String(20), unique=True))\n'
        '    op.bulk_insert(role, [{"id": 1, "name": "admin"}, {"id": 2, "name": "user"}])',
        'op.drop_table("role")',
    ),
    (
        "b1",
        "a2",
        'op.add_column("account", sa.Column("email", sa.String(100)))',
        'op.drop_column("account", "email")',
    ),
    (
        "c1",
        "a2",
        'op.create_table("post", sa.Column("id", sa.Integer, primary_key=True), '
        'sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id"), nullable=False), '
        'sa.Column("title", sa.String(200)))\n'
        '    op.create_index("ix_post_account", "post", ["account_id"])',
        'op.drop_table("post")',
    ),
    (
        "m1",
        ("b1", "c1"),
        "op.execute(\"UPDATE account SET email = 'unknown' WHERE email IS NULL\")\n"
        '    op.execute("CREATE VIEW named_account AS SELECT id, name FROM account")',
        'op.execute("DROP VIEW named_account")',
    ),
    (
        "d1",
        "m1",
        'op.add_column("post", sa.Column("body", sa.Text))',
        'op.drop_column("post", "body")',
    ),
]


def _project(tmp_path: Path, url: str) -> Path:
    project = new_project(tmp_path, url)
    for rev, down, body, undo in HISTORY:
        write_revision(project, rev, down, body, undo)  # type: ignore[arg-type]
    return project


def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(query)]
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_squash_then_every_database_reaches_head_with_the_same_schema(
    tmp_path: Path, new_database: Callable[[str], str], backend: str
) -> None:
    urls = {name: new_database(backend) for name in ("full", "mid", "tip", "past", "fresh")}
    project = _project(tmp_path, urls["full"])
    run_on(project, urls["full"], "upgrade", "head")
    run_on(project, urls["mid"], "upgrade", "a2")
    run_on(project, urls["tip"], "upgrade", "m1")
    run_on(project, urls["past"], "upgrade", "head")

    scratch = [] if backend == "sqlite" else ["--url", new_database(backend)]
    out = run_on(project, urls["full"], "squash", "m1", "-m", "baseline of m1", *scratch)
    assert "replaces 5 revision(s), base..m1" in out
    assert "a2: bulk_insert into role (2 row(s)) (carried over)" in out
    assert "m1: execute UPDATE account SET email = 'unknown' WHERE email IS NULL" in out
    assert "view named_account: made by raw SQL, carried over as op.execute" in out
    (baseline,) = (project / "migrations" / "baseline").glob("*.py")
    assert "replaces: tuple[str, ...] = (" in baseline.read_text()

    history = run_on(project, urls["fresh"], "history")
    assert history.splitlines()[-1].startswith("baseline ") and "base..m1 (5 revisions)" in history
    fresh = run_on(project, urls["fresh"], "upgrade", "head")
    assert "baseline" in fresh and "Running upgrade b1" not in fresh
    for name in ("mid", "tip", "past", "fresh"):
        run_on(project, urls[name], "upgrade", "head")
        assert _rows(urls[name], "SELECT version_num FROM alembic_version") == [("d1",)], name
        assert snapshot(urls[name]) == snapshot(urls["full"]), name
        assert _rows(urls[name], "SELECT count(*) FROM named_account") == [(0,)], name
    assert _rows(urls["fresh"], "SELECT id, name FROM role ORDER BY id") == [
        (1, "admin"),
        (2, "user"),
    ]

    # finalize: the baseline becomes m1, the old files go, every database keeps working
    out = run_on(project, urls["full"], "squash", "--finalize")
    assert "deleted 5 replaced revision file(s)" in out
    versions = sorted(p.name for p in (project / "migrations" / "versions").glob("*.py"))
    assert versions == ["d1_x.py", "m1_baseline_of_m1.py"]
    finalized = (project / "migrations" / "versions" / "m1_baseline_of_m1.py").read_text()
    assert "squashed: tuple[str, ...] = (" in finalized  # the log accepts it for m1
    assert "edited" not in run_on(project, urls["past"], "verify")  # exit 0 checked by _run
    assert not list((project / "migrations" / "baseline").glob("*.py"))
    assert "d1 (head)" in run_on(project, urls["past"], "heads")
    again = new_database(backend)
    run_on(project, again, "upgrade", "head")
    assert snapshot(again) == snapshot(urls["full"])
    run_on(project, urls["past"], "upgrade", "head")
    assert _rows(urls["past"], "SELECT version_num FROM alembic_version") == [("d1",)]
    run_on(project, again, "downgrade", "base")
    assert snapshot(again).is_empty


def test_squash_refuses_a_second_baseline_and_a_busy_scratch_database(
    tmp_path: Path, sqlite_url: str
) -> None:
    project = _project(tmp_path, sqlite_url)
    run_on(project, sqlite_url, "upgrade", "a1")
    busy = distill(project, "squash", "a2", "--url", sqlite_url)
    assert busy.returncode == 255
    assert "the scratch database is not empty" in busy.stderr
    assert not (project / "migrations" / "baseline").exists()
    run_on(project, sqlite_url, "squash", "a2")
    second = distill(project, "squash", "m1")
    assert second.returncode == 255 and "squash --finalize" in second.stderr


def test_finalize_refuses_a_branch_left_inside_the_squashed_range(
    tmp_path: Path, sqlite_url: str
) -> None:
    project = _project(tmp_path, sqlite_url)
    run_on(project, sqlite_url, "squash", "a2")
    write_revision(project, "x1", "a1", "pass", "pass")  # a branch off a1, beside a2
    refused = distill(project, "squash", "--finalize")
    assert refused.returncode == 255
    assert "revision x1" in refused.stderr and "builds on a1" in refused.stderr
    assert (project / "migrations" / "versions" / "a1_x.py").exists()
