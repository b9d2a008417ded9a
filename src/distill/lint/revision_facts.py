"""Everything the rules look at for one revision, gathered in one frozen object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from distill.dialects.lint_profile import LintProfile
from distill.lint.changes import Change
from distill.lint.source import SourceFacts


@dataclass(frozen=True)
class RevisionFacts:
    """One revision as the rules see it."""

    revision: str
    path: str
    message: str
    changes: tuple[Change, ...]  # what upgrade() does, in order
    op_count: int  # directives upgrade() called
    profile: LintProfile
    source: SourceFacts
    naming_convention: Mapping[Any, str] = field(default_factory=dict)
    failure: tuple[int, str] | None = None  # what upgrade() raised while recorded
    upgrade_line: int = 0

    @cached_property
    def new_tables(self) -> frozenset[str]:
        """Tables this revision creates: changing them locks or breaks nothing yet."""
        return frozenset(c.table for c in self.changes if c.kind == "create_table" and c.table)

    def on_existing_table(self, change: Change) -> bool:
        """Whether `change` touches a table that already holds rows and serves traffic."""
        return change.table not in self.new_tables
