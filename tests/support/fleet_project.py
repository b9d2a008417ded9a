"""A small history for fleet tests: three revisions, each creating one table."""

from __future__ import annotations

from pathlib import Path

from support.cli_project import new_project, write_revision

REVISIONS = ("f1", "f2", "f3")


def fleet_project(tmp_path: Path, url: str | None = None, third: str | None = None) -> Path:
    """A project whose revisions f1..f3 create tables t1..t3 (`third`: f3's own body)."""
    project = new_project(tmp_path, url)
    down = None
    for number, rev in enumerate(REVISIONS, 1):
        body = f'op.create_table("t{number}", sa.Column("id", sa.Integer, primary_key=True))'
        if rev == "f3" and third is not None:
            body = third
        write_revision(project, rev, down, body, f'op.drop_table("t{number}")')
        down = rev
    return project


def write_targets(project: Path, lines: list[str]) -> Path:
    """The targets file."""
    path = project / "targets.txt"
    path.write_text("# the tenants\n" + "\n".join(lines) + "\n")
    return path
