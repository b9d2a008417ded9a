"""Differences that README.md lists as deliberate: recognised by their shape, so the table
tells them apart from the differences nobody has explained yet."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_INDEX = re.compile(r"^sqlite_master\.index (?P<name>\S+): alembic (?P<a>.*) \| distill (?P<d>.*)$")
_NULLABLE = re.compile(r"^tables\.[^.]+\.columns\.[^.]+\.nullable: alembic True \| distill False$")
_ORDER_OR_COLLATION = re.compile(r"\s+(?:ASC|DESC|COLLATE\s+\"?\w+\"?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Deliberate:
    """One kind of deliberate difference: where it applies, how it is told, and why."""

    name: str
    backends: tuple[str, ...]
    matches: Callable[[str], bool]
    reason: str  # the README bullet that lists it

    def explains(self, backend: str, difference: str) -> bool:
        """Whether `difference` (one line of a step on `backend`) is this kind."""
        return backend in self.backends and self.matches(difference)


def _words(sql: str) -> str:
    return " ".join(sql.strip("'\"").split()).casefold()


def _index_kept(difference: str) -> bool:
    """distill kept an index as it was created where Alembic's rebuild recreated it from
    reflection: without ASC/DESC and COLLATE, or not at all for an expression index."""
    match = _INDEX.match(difference)
    if match is None or match["d"] == "(absent)":
        return False
    ours = match["d"]
    if match["a"] == "(absent)":
        columns = ours[ours.find("(") + 1 : ours.rfind(")")]
        return "(" in columns  # an expression: SQLAlchemy cannot reflect it
    return _words(_ORDER_OR_COLLATION.sub("", ours)) == _words(match["a"])


KNOWN: tuple[Deliberate, ...] = (
    Deliberate(
        "sqlite-index-kept",
        ("sqlite",),
        _index_kept,
        "README: SQLite batch rebuilds keep each index as created",
    ),
    Deliberate(
        "mysql-alter-column-keeps-not-null",
        ("mysql",),
        lambda difference: _NULLABLE.match(difference) is not None,
        "README: MySQL/MariaDB alter_column carries the live nullability",
    ),
)


def split(backend: str, differences: Sequence[str]) -> tuple[list[str], list[str]]:
    """(unexplained differences, deliberate ones marked with their reason)."""
    unexplained: list[str] = []
    explained: list[str] = []
    for difference in differences:
        kind = next((k for k in KNOWN if k.explains(backend, difference)), None)
        if kind is None:
            unexplained.append(difference)
        else:
            explained.append(f"deliberate ({kind.reason}): {difference}")
    return unexplained, explained
