"""README.md renders as READMEs on GitHub and PyPI do: every command in a fenced block with
a language tag (copy buttons, highlighting), the two fresh-machine commands first."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^(```+|~~~+)(.*)$")


def _blocks(text: str) -> list[tuple[int, str, str]]:
    """(line number, language tag, body) of each fenced block."""
    blocks: list[tuple[int, str, str]] = []
    opened: tuple[int, str, str] | None = None
    body: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line.strip())
        if opened is None and match:
            opened, body = (number, match.group(1), match.group(2).strip()), []
        elif opened is not None and match and match.group(1) == opened[1] and not match.group(2):
            blocks.append((opened[0], opened[2], "\n".join(body)))
            opened = None
        elif opened is not None:
            body.append(line)
    assert opened is None, f"README.md line {opened[0]}: a fenced block is never closed"
    return blocks


def test_every_fenced_block_has_a_language_tag() -> None:
    untagged = [number for number, tag, _ in _blocks(README.read_text()) if not tag]
    assert untagged == [], f"README.md blocks without a language tag at lines {untagged}"


def test_no_indented_code_blocks() -> None:
    """An indented block renders without a copy button; lists' continuation lines are fine."""
    lines = README.read_text().splitlines()
    inside = False
    for number, line in enumerate(lines, 1):
        if FENCE.match(line.strip()):
            inside = not inside
        elif not inside and line.startswith("    ") and line.strip():
            previous = lines[number - 2] if number > 1 else ""
            assert previous.strip(), f"README.md line {number}: indented code block"


def test_the_fresh_machine_commands_come_first() -> None:
    first, second = (body for _, _, body in _blocks(README.read_text())[:2])
    assert "distill demo" in first
    assert "bin/test" in second


BENCH_START = "<!-- bench-latest:start -->"
BENCH_END = "<!-- bench-latest:end -->"
LATEST = README.parent / "bench" / "results" / "latest.md"


def test_the_benchmark_table_is_the_latest_run() -> None:
    """The README shows bench/results/latest.md as the suite wrote it: date, machine, table."""
    text = README.read_text()
    assert text.count(BENCH_START) == text.count(BENCH_END) == 1, "README.md: benchmark markers"
    shown = text.split(BENCH_START, 1)[1].split(BENCH_END, 1)[0]
    latest = LATEST.read_text()
    assert shown.strip() == latest.strip(), (
        "README.md's benchmark table is not bench/results/latest.md: paste the latest run "
        "between the bench-latest markers"
    )
    assert latest.startswith("Measured ") and " on " in latest.split("\n", 1)[0]
