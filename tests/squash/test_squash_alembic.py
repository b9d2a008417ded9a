"""Alembic's view of a squashed project: before --finalize it ignores the baseline and
replays the history; afterwards it runs the baseline as the first revision."""

from __future__ import annotations

from pathlib import Path

from support.alembic_projects import Rev, make_project, run, set_url, snapshot

REVISIONS = [
    Rev(
        "a1",
        (),
        "account",
        'op.create_table("account", sa.Column("id", sa.Integer, primary_key=True), '
        'sa.Column("name", sa.String(50), nullable=False))',
        'op.drop_table("account")',
    ),
    Rev(
        "a2",
        ("a1",),
        "post",
        'op.create_table("post", sa.Column("id", sa.Integer, primary_key=True), '
        'sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")))\n'
        'op.create_index("ix_post_account", "post", ["account_id"])',
        'op.drop_table("post")',
    ),
    Rev(
        "a3",
        ("a2",),
        "email",
        'op.add_column("account", sa.Column("email", sa.String(100)))',
        'op.drop_column("account", "email")',
    ),
]


def test_alembic_replays_the_history_then_runs_the_finalized_baseline(tmp_path: Path) -> None:
    def url(name: str) -> str:
        return f"sqlite:///{tmp_path / name}.db"

    project = make_project(tmp_path / "project", url("reference"), REVISIONS)
    run("alembic", project, "upgrade", "head")
    reference = snapshot(url("reference"))

    run("distill", project, "squash", "a2", "-m", "baseline")
    (baseline,) = (project / "migrations" / "baseline").glob("*.py")
    assert "from alembic import op" in baseline.read_text()
    set_url(project, url("alembic_before"))
    assert "a3 (head)" in run("alembic", project, "heads").stdout
    replayed = run("alembic", project, "upgrade", "head").stderr
    assert "Running upgrade  -> a1" in replayed  # the history, not the baseline
    assert snapshot(url("alembic_before")) == reference
    set_url(project, url("distill_before"))
    assert "baseline" in run("distill", project, "upgrade", "head").stderr
    assert snapshot(url("distill_before")) == reference

    run("distill", project, "squash", "--finalize")
    set_url(project, url("alembic_after"))
    ran = run("alembic", project, "upgrade", "head").stderr
    assert "Running upgrade  -> a2, baseline" in ran and "-> a1" not in ran
    assert snapshot(url("alembic_after")) == reference
    set_url(project, url("distill_before"))
    assert "a3 (head)" in run("alembic", project, "current").stdout
