"""Time distill and Alembic side by side on the same generated projects; print ratios.

Usage: .venv/bin/python bench/bench_vs_alembic.py [--revisions 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REVISION = '''"""step {n}

Revision ID: {rev}
Revises: {down}
Create Date: 2026-01-01 00:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = {down_repr}
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("t{n}", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("t{n}")
'''


def make_project(folder: Path, count: int) -> Path:
    """An Alembic project (made by `alembic init`) with `count` linear revisions."""
    subprocess.run(
        [sys.executable, "-m", "alembic", "init", "migrations"],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    ini = folder / "alembic.ini"
    ini.write_text(
        ini.read_text().replace("driver://user:pass@localhost/dbname", f"sqlite:///{folder}/b.db")
    )
    versions = folder / "migrations" / "versions"
    down = None
    for n in range(count):
        rev = f"{n:012x}"
        (versions / f"{rev}_step.py").write_text(
            REVISION.format(n=n, rev=rev, down=down or "", down_repr=repr(down))
        )
        down = rev
    return folder


# Bytecode caches on, as on a user's machine (this workplace sets PYTHONDONTWRITEBYTECODE,
# which would make an editable distill recompile its own source on every run).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def timed(tool: str, folder: Path, args: Sequence[str], repeat: int, reset: bool) -> float:
    """Median wall time of `tool args` over `repeat` runs, after one warm-up run."""
    times = []
    for attempt in range(repeat + 1):
        if reset:
            (folder / "b.db").unlink(missing_ok=True)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", tool, *args],
            cwd=folder,
            check=True,
            capture_output=True,
            env=ENV,
        )
        if attempt:  # the first run only fills the bytecode caches
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Run each scenario with both tools and print a table of times and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--revisions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    scenarios = [
        ("heads", ["heads"], False),
        ("history", ["history"], False),
        ("upgrade head --sql", ["upgrade", "head", "--sql"], False),
        ("upgrade head (SQLite)", ["upgrade", "head"], True),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_project(Path(tmp), options.revisions)
        print(f"{options.revisions} revisions, median of {options.repeat} runs")
        print(f"{'scenario':<24}{'alembic s':>12}{'distill s':>12}{'alembic/distill':>18}")
        for name, args, reset in scenarios:
            theirs = timed("alembic", folder, args, options.repeat, reset)
            ours = timed("distill", folder, args, options.repeat, reset)
            print(f"{name:<24}{theirs:>12.3f}{ours:>12.3f}{theirs / ours:>17.2f}x")


if __name__ == "__main__":
    main()
