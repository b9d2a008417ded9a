"""What lint reports: rules (name, severity, safe alternative) and the findings they make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    """A lint rule: its short name, how bad a hit is, and what to do instead."""

    name: str
    severity: Severity
    alternative: str
    file_level: bool = False  # an allow comment anywhere in the file silences it


@dataclass(frozen=True)
class Finding:
    """One rule firing on one line of one revision."""

    rule: str
    severity: Severity
    revision: str | None
    path: str | None
    line: int
    reason: str
    alternative: str

    def as_dict(self) -> dict[str, Any]:
        """The finding as plain JSON-ready data."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "revision": self.revision,
            "path": self.path,
            "line": self.line,
            "reason": self.reason,
            "alternative": self.alternative,
        }


@dataclass(frozen=True)
class Hit:
    """What a rule check yields: the rule, the line, and the reason in this case."""

    rule: str
    line: int
    reason: str
