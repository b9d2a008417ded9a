"""Pure comparison of two database snapshots and of two step outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Snapshot = Mapping[str, Any]

_ABSENT = object()


@dataclass(frozen=True)
class Outcome:
    """How one tool's subprocess ended for one step."""

    exit_code: int
    error: str = ""  # the one line that best says why it failed ("" on success)
    revision: str = ""  # the last revision the tool reported running

    @property
    def ok(self) -> bool:
        """True when the tool exited 0."""
        return self.exit_code == 0


def _render(value: Any) -> str:
    """Short text for a value in a difference line."""
    if value is _ABSENT:
        return "(absent)"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def diff_values(left: Any, right: Any, path: str = "") -> list[str]:
    """Every leaf where `left` and `right` differ, as `path: left | right` lines."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        lines: list[str] = []
        for key in sorted(set(left) | set(right), key=str):
            sub = f"{path}.{key}" if path else str(key)
            lines += diff_values(left.get(key, _ABSENT), right.get(key, _ABSENT), sub)
        return lines
    if (
        isinstance(left, Sequence)
        and isinstance(right, Sequence)
        and not isinstance(left, str)
        and not isinstance(right, str)
        and len(left) == len(right)
        and all(isinstance(item, Mapping) for item in (*left, *right))
    ):
        lines = []
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            lines += diff_values(a, b, f"{path}[{index}]")
        return lines
    if _normal(left) == _normal(right):
        return []
    return [f"{path}: alembic {_render(left)} | distill {_render(right)}"]


def _normal(value: Any) -> Any:
    """Lists and tuples compare alike (snapshots may come back from JSON)."""
    if isinstance(value, (list, tuple)):
        return [_normal(item) for item in value]
    return value


def compare_snapshots(alembic: Snapshot, distill: Snapshot) -> list[str]:
    """The differences between the database Alembic left and the one distill left."""
    return diff_values(alembic, distill)


def _at(outcome: Outcome) -> str:
    """` at a -> b` when the tool said which revision it was running."""
    return f" at {outcome.revision}" if outcome.revision else ""


def compare_outcomes(alembic: Outcome, distill: Outcome) -> list[str]:
    """Differences in how the two subprocesses ended (exit status and failure)."""
    if alembic.ok and distill.ok:
        return []
    if alembic.ok:
        return [
            f"distill failed{_at(distill)} (exit {distill.exit_code}) where alembic succeeded: "
            f"{distill.error}"
        ]
    if distill.ok:
        return [
            f"alembic failed{_at(alembic)} (exit {alembic.exit_code}) where distill succeeded: "
            f"{alembic.error}"
        ]
    return [
        f"both failed: alembic{_at(alembic)} (exit {alembic.exit_code}) {alembic.error} | "
        f"distill{_at(distill)} (exit {distill.exit_code}) {distill.error}"
    ]


def summarise(differences: Sequence[str], limit: int = 2) -> str:
    """The first `limit` differences on one line, with a count of the rest."""
    if not differences:
        return "identical"
    shown = "; ".join(d if len(d) <= 300 else d[:297] + "..." for d in differences[:limit])
    rest = len(differences) - limit
    return f"different: {shown}" + (f" (+{rest} more)" if rest > 0 else "")
