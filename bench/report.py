"""The results as JSON and as a Markdown table with ratios, targets and peak memory."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sqlite3
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bench.cases import DASH, TIMES
from bench.measure import Outcome, Summary
from bench.runner import RAN, CaseResult

HEADER = (
    "| case | Alembic | distill | distill/Alembic | floor (no tool) | distill/floor "
    "| target | peak RSS Alembic / distill |"
)
RULE = "|---|---:|---:|---:|---|---|---|---:|"


def cpu_model() -> str:
    """The CPU's model name as the kernel reports it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def commit(repository: Path) -> str:
    """The repository's commit, marked when distill's sources differ from it."""

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", "-C", str(repository), *args], capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return f"{head} with local changes" if dirty else head


def machine(postgresql: str | None) -> dict[str, str]:
    """What the numbers were measured on."""
    return {
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgresql or "not used",
        "sqlalchemy": importlib.metadata.version("sqlalchemy"),
        "alembic": importlib.metadata.version("alembic"),
        "distill": importlib.metadata.version("distill"),
    }


def number(value: float) -> str:
    """A duration's digits as the issue writes them: 0.512, 1.386, 16.6."""
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def seconds(value: float) -> str:
    """A duration with its unit."""
    return f"{number(value)} s"


def timing(summary: Summary) -> str:
    """Median with the range: `0.512 s (0.498-0.530)`, with an en dash."""
    return f"{seconds(summary.median)} ({number(summary.low)}{DASH}{number(summary.high)})"


def note(notes: list[str], text: str) -> int:
    """The number of the note saying `text`, added when new."""
    if text not in notes:
        notes.append(text)
    return notes.index(text) + 1


def tool_cell(result: CaseResult, name: str, notes: list[str]) -> str:
    """A tool's timing, or its status with a note saying why."""
    for outcome in result.outcomes:
        if outcome.name == name:
            if outcome.usable:
                return timing(outcome.summary())
            number = note(notes, f"{name}: {outcome.status}: {outcome.message}")
            return f"{outcome.status} [{number}]"
    return "—"


def floors_cells(result: CaseResult, notes: list[str]) -> tuple[str, str]:
    """Each floor's median, and distill's ratio to each."""
    ratios = result.ratios()
    times: list[str] = []
    shares: list[str] = []
    for outcome in result.outcomes:
        if not outcome.floor:
            continue
        if not outcome.usable:
            notes.append(
                f"{result.case.id}, floor {outcome.name}: {outcome.status}: {outcome.message}"
            )
            times.append(f"{outcome.name} {outcome.status} [{len(notes)}]")
            continue
        times.append(f"{outcome.name} {seconds(outcome.summary().median)}")
        if outcome.name in ratios:
            shares.append(f"{ratios[outcome.name]:.2f}{TIMES} {outcome.name}")
    return "; ".join(times) or "—", "; ".join(shares) or "—"


def target_cell(result: CaseResult) -> str:
    """The goal, and whether this run meets it."""
    target = result.case.target
    if target is None:
        return "—"
    met = target.met(result.ratios())
    verdict = "" if met is None else " (met)" if met else " (**not met**)"
    return target.describe() + verdict


def memory(result: CaseResult) -> tuple[Outcome | None, Outcome | None]:
    """Alembic's and distill's outcomes when they have samples."""
    return result.outcome("Alembic"), result.outcome("distill")


def memory_cell(result: CaseResult) -> str:
    """Peak RSS of both tools in MiB."""
    theirs, ours = memory(result)
    if theirs is None or ours is None:
        return "—"
    return f"{theirs.peak_rss_mib():.0f} / {ours.peak_rss_mib():.0f} MiB"


def row(result: CaseResult, notes: list[str]) -> str:
    """One line of the table."""
    if result.status != RAN:
        number = note(notes, f"{result.status}: {result.reason}")
        return f"| {result.case.title} | {result.status} [{number}] | | | | | | |"
    ratio = result.ratios().get("Alembic")
    floor_times, floor_ratios = floors_cells(result, notes)
    cells = [
        result.case.title,
        tool_cell(result, "Alembic", notes),
        tool_cell(result, "distill", notes),
        "—" if ratio is None else f"{ratio:.2f}",
        floor_times,
        floor_ratios,
        target_cell(result),
        memory_cell(result),
    ]
    return "| " + " | ".join(cells) + " |"


def memory_row(results: Sequence[CaseResult]) -> str:
    """The summary line: in how many cases distill's peak RSS stays at or under Alembic's."""
    pairs = [memory(result) for result in results]
    both = [(theirs, ours) for theirs, ours in pairs if theirs is not None and ours is not None]
    if not both:
        return "| peak memory, every case | | | | | | never above Alembic | — |"
    under = sum(ours.peak_rss_mib() <= theirs.peak_rss_mib() for theirs, ours in both)
    worst = max(ours.peak_rss_mib() / theirs.peak_rss_mib() for theirs, ours in both)
    verdict = "met" if under == len(both) else "**not met**"
    cells = ["peak memory, every case", "", "", f"{worst:.2f} at most", "", ""]
    cells += [f"never above Alembic ({verdict})", f"distill ≤ Alembic in {under} of {len(both)}"]
    return "| " + " | ".join(cells) + " |"


def markdown(results: Sequence[CaseResult], meta: dict[str, object]) -> str:
    """The whole Markdown report: context lines, the table, notes on failures and skips."""
    info = meta["machine"]
    assert isinstance(info, dict)
    notes: list[str] = []
    rows = [row(result, notes) for result in results]
    lines = [
        f"Measured {meta['date']} on {info['cpu']} ({info['cores']} cores), {info['os']}; "
        f"Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL {info['postgresql']}, "
        f"SQLAlchemy {info['sqlalchemy']}, Alembic {info['alembic']}, "
        f"distill {info['distill']} at commit {meta['commit']}.",
        "",
        f"Medians of {meta['repeat']} fresh processes per tool (min{DASH}max), after one untimed "
        "warm-up; tools interleaved, their order rotated every round; bytecode caches warm. "
        "Floors are measured in the same run, as fresh processes doing the same work without "
        "a migration tool. Command: `" + str(meta["command"]) + "`.",
        "",
        HEADER,
        RULE,
        *rows,
        memory_row(results),
    ]
    if notes:
        lines += ["", *(f"[{number}] {note}" for number, note in enumerate(notes, start=1))]
    return "\n".join(lines) + "\n"


def as_json(results: Sequence[CaseResult], meta: dict[str, object]) -> dict[str, object]:
    """Plain data: the run's context and every sample of every case."""
    cases = []
    for result in results:
        target = result.case.target
        cases.append(
            {
                "id": result.case.id,
                "title": result.case.title,
                "database": result.case.database,
                "size": result.case.size,
                "status": result.status,
                "reason": result.reason,
                "target": None if target is None else target.describe(),
                "target_met": None if target is None else target.met(result.ratios()),
                "distill_over": {name: round(value, 4) for name, value in result.ratios().items()},
                "participants": [outcome.as_dict() for outcome in result.outcomes],
            }
        )
    return {**meta, "cases": cases}
