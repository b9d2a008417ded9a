"""RevisionGraph: the revision map with identifier resolution and plans in one object."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from distill.graph.model import Revision, RevisionMap, Step
from distill.graph.plan import Planner
from distill.graph.resolve import Resolver


class RevisionGraph(RevisionMap):
    """All revisions of a project, validated, with identifier resolution and plans."""

    def __init__(self, revisions: Iterable[Revision]) -> None:
        super().__init__(revisions)
        self._resolver = Resolver(self)
        self._planner = Planner(self, self._resolver)

    def resolve(self, identifier: str) -> tuple[str, ...]:
        """The revisions an identifier names (`show`, `stamp`, `merge`, `--head`)."""
        return self._resolver.resolve(identifier)

    def resolve_one(self, identifier: str) -> str | None:
        """The single revision an identifier names, None for base."""
        return self._resolver.resolve_one(identifier)

    def upgrade_plan(self, current: Sequence[str], target: str) -> list[Step]:
        """Steps that take the version rows `current` up to `target`, in run order."""
        return self._planner.upgrade_plan(current, target)

    def downgrade_plan(self, current: Sequence[str], target: str) -> list[Step]:
        """Steps that take the version rows `current` down to `target`, in run order."""
        return self._planner.downgrade_plan(current, target)

    def stamp_plan(
        self, current: Sequence[str], targets: Sequence[str], purge: bool = False
    ) -> list[Step]:
        """Version-row changes that make the table say `targets` without running code."""
        return self._planner.stamp_plan(current, targets, purge)

    def walk(
        self, upper: str | Sequence[str] = "heads", lower: str | Sequence[str] = "base"
    ) -> list[str]:
        """Revisions from `lower` up to `upper`, both inclusive, newest first (history -r)."""
        return self._planner.walk(upper, lower)
