"""Helpers for tests that drive the real CLI on a project made by `distill init`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

OWN_PREFIX = "distill_"  # distill's own tables: the applied-revision log


def distill(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the distill CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "distill", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=120,
    )


def assert_one_line_failure(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The run failed with exactly one FAILED line on stderr and no traceback."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr + result.stdout
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED: ")]
    assert len(failed) == 1, result.stderr
    for needle in needles:
        assert needle in failed[0], failed[0]
    return failed[0]


def new_project(tmp_path: Path, url: str | None = None) -> Path:
    """A distill project made by `distill init`, pointing at `url`."""
    result = distill(tmp_path, "init", "migrations")
    assert result.returncode == 0, result.stderr
    ini = tmp_path / "distill.ini"
    lines = [
        f"sqlalchemy.url = {url or 'sqlite:///' + str(tmp_path / 'app.db')}"
        if line.startswith("sqlalchemy.url")
        else line
        for line in ini.read_text().splitlines()
    ]
    ini.write_text("\n".join(lines) + "\n")
    return tmp_path


def write_revision(
    project: Path, rev: str, down: str | None, body: str = "pass", undo: str = "pass"
) -> Path:
    """Write a revision file by hand."""
    path = project / "migrations" / "versions" / f"{rev}_x.py"
    path.write_text(
        f'"""rev {rev}"""\nfrom distill import op\nimport sqlalchemy as sa\n\n'
        f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\n"
        f"depends_on = None\n\n\ndef upgrade():\n    {body}\n\n\ndef downgrade():\n    {undo}\n"
    )
    return path


def tables(url: str) -> list[str]:
    """Table names in the database, less distill's own (`distill_log`)."""
    engine = sa.create_engine(url)
    try:
        names = sa.inspect(engine).get_table_names()
        return sorted(name for name in names if not name.startswith(OWN_PREFIX))
    finally:
        engine.dispose()


def ok(project: Path, *args: str) -> str:
    """Run distill, assert success, return stdout."""
    result = distill(project, *args)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def versions(url: str) -> list[str]:
    """The version table's rows."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    finally:
        engine.dispose()
