"""The summary of a fleet run: one line per target and totals, or one JSON document."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from distill.fleet.child import Result
from distill.fleet.targets import Target, without_password

_OUTCOMES = ("ok", "failed", "crashed", "differs", "edited", "not run")


@dataclass(frozen=True)
class Report:
    """A finished fleet run."""

    action: str
    revision: str | None
    results: list[Result]
    seconds: float
    heads: tuple[str, ...]
    known: frozenset[str]

    @property
    def succeeded(self) -> bool:
        """True when every target ended where it was asked to (current: was read)."""
        return all(result.outcome == "ok" and result.reached for result in self.results)

    def counts(self) -> Counter[str]:
        """Targets per outcome."""
        return Counter(result.outcome for result in self.results)

    def state(self, result: Result) -> str:
        """`current`'s word for a target: at head, behind, unknown, or unread."""
        if result.after is None:
            return "unread"
        if any(row not in self.known for row in result.after):
            return "unknown"
        return "at head" if set(result.after) == set(self.heads) else "behind"


def _rows(rows: tuple[str, ...] | None) -> str:
    if rows is None:
        return "?"
    return ", ".join(rows) if rows else "base"


def render_text(report: Report, targets: Sequence[Target]) -> str:
    """Per-target lines, then the totals (and for `current`, the split by revision)."""
    lines: list[str] = []
    width = max((len(result.target.name) for result in report.results), default=4)
    for result in report.results:
        if report.action in ("current", "verify"):
            middle = f"{_rows(result.after):<14} {report.state(result)}"
        else:
            middle = f"{_rows(result.before)} -> {_rows(result.after)}"
        outcome = result.outcome if result.outcome != "ok" else "ok"
        error = f": {result.error}" if result.error else ""
        lines.append(
            f"{result.target.name:<{width}}  {middle}  {result.seconds:.2f}s  {outcome}{error}"
        )
        lines.extend(f"{'':<{width}}    - {detail}" for detail in result.details)
    if report.action == "current":
        lines.extend(_split(report))
    counts = report.counts()
    parts = [f"{counts[name]} {name}" for name in _OUTCOMES]
    shown = ", ".join(part for part in parts if not part.startswith("0 ")) or "nothing run"
    lines.append(f"{len(report.results)} target(s): {shown} in {report.seconds:.1f}s")
    return without_password("\n".join(lines), list(targets))


def _split(report: Report) -> list[str]:
    """How many targets are at each revision, and which are behind or unknown."""
    at: Counter[str] = Counter(_rows(r.after) for r in report.results if r.after is not None)
    lines = [f"at {rows}: {count}" for rows, count in sorted(at.items(), key=lambda i: -i[1])]
    for state in ("behind", "unknown", "unread"):
        names = [r.target.name for r in report.results if report.state(r) == state]
        if names:
            lines.append(f"{state}: {', '.join(names)}")
    return lines


def render_json(report: Report, targets: Sequence[Target]) -> str:
    """The whole report as one JSON document."""
    counts = report.counts()
    document: dict[str, Any] = {
        "action": report.action,
        "revision": report.revision,
        "heads": list(report.heads),
        "targets": [_entry(report, result) for result in report.results],
        "totals": {
            "targets": len(report.results),
            **{name.replace(" ", "_"): counts[name] for name in _OUTCOMES},
            "seconds": round(report.seconds, 3),
        },
        "succeeded": report.succeeded,
    }
    return without_password(json.dumps(document, indent=2), list(targets))


def _entry(report: Report, result: Result) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": result.target.name,
        "url": result.target.shown_url,
        "schema": result.target.schema,
        "before": list(result.before) if result.before is not None else None,
        "after": list(result.after) if result.after is not None else None,
        "seconds": round(result.seconds, 3),
        "outcome": result.outcome,
        "reached": result.reached,
        "error": result.error,
    }
    if report.action in ("current", "verify"):
        entry["state"] = report.state(result)
    if result.details:
        entry["verify" if report.action == "verify" else "differences"] = result.details
    return entry
