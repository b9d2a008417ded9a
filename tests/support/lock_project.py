"""A project for the deploy-lock tests: revisions that note each run in a marker file and
can be made to sleep or to wait for a gate file, driven by real `distill` processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support.cli_project import new_project, write_revision

# each revision appends "<rev> <pid>" to $DISTILL_TEST_MARK when its upgrade() starts;
# with $DISTILL_TEST_GATE set, b2 waits for that file first; b2 sleeps $DISTILL_TEST_SLEEP
NOTE = (
    "import os, time\n"
    "    with open(os.environ['DISTILL_TEST_MARK'], 'a') as mark:\n"
    "        mark.write('{rev} ' + str(os.getpid()) + '\\n')\n"
)
GATE = (
    "    gate = os.environ.get('DISTILL_TEST_GATE')\n"
    "    deadline = time.monotonic() + 60\n"
    "    while gate and not os.path.exists(gate) and time.monotonic() < deadline:\n"
    "        time.sleep(0.05)\n"
    "    time.sleep(float(os.environ.get('DISTILL_TEST_SLEEP', '0')))\n"
)

HEAD = "c3"


def lock_project(tmp_path: Path, url: str) -> Path:
    """A project of three revisions (a1 -> b2 -> c3); b2 can sleep or wait for a gate."""
    project = new_project(tmp_path, url)
    write_revision(
        project,
        "a1",
        None,
        NOTE.format(rev="a1")
        + "    op.create_table('t1', sa.Column('id', sa.Integer, primary_key=True))",
        "op.drop_table('t1')",
    )
    write_revision(
        project,
        "b2",
        "a1",
        NOTE.format(rev="b2")
        + GATE
        + "    op.create_table('t2', sa.Column('id', sa.Integer, primary_key=True))",
        "op.drop_table('t2')",
    )
    write_revision(
        project,
        "c3",
        "b2",
        NOTE.format(rev="c3") + "    op.add_column('t1', sa.Column('note', sa.String(20)))",
        "op.drop_column('t1', 'note')",
    )
    return project


def point_at(project: Path, url: str) -> None:
    """Make the project's sqlalchemy.url `url`."""
    ini = project / "distill.ini"
    lines = [
        f"sqlalchemy.url = {url}" if line.startswith("sqlalchemy.url") else line
        for line in ini.read_text().splitlines()
    ]
    ini.write_text("\n".join(lines) + "\n")


def start(
    project: Path, mark: Path, *args: str, gate: Path | None = None, sleep: float = 0
) -> subprocess.Popen[str]:
    """Start `distill <args>` in the project; its revisions note their runs in `mark`."""
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "DISTILL_TEST_MARK": str(mark),
        "DISTILL_TEST_SLEEP": str(sleep),
    }
    if gate is not None:
        env["DISTILL_TEST_GATE"] = str(gate)
    return subprocess.Popen(
        [sys.executable, "-m", "distill", *args],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    """Wait for the process: (exit code, stdout + stderr)."""
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def runs(mark: Path) -> list[str]:
    """The revisions whose upgrade() started, in order, from the marker file."""
    if not mark.exists():
        return []
    return [line.split()[0] for line in mark.read_text().splitlines() if line.strip()]


def wait_for_run(mark: Path, rev: str, timeout: float = 60) -> None:
    """Wait until the marker file says `rev` started."""
    deadline = time.monotonic() + timeout
    while rev not in runs(mark):
        if time.monotonic() > deadline:
            raise AssertionError(f"{rev} did not start within {timeout} s")
        time.sleep(0.05)
