"""Alembic's `alembic.script.revision` shapes over distill's graph, for tools that build
a `RevisionMap(generator)` themselves (pytest-alembic refreshes its history that way).

`RevisionMap` reads the revision objects the generator yields (distill's `Script`s or
`Revision`s made here) into a `RevisionGraph` on first use, and answers with the same
objects it was given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from distill.errors import MultipleHeads, RangeNotAllowed, ResolutionError
from distill.graph import Revision as GraphRevision
from distill.graph import RevisionGraph

__all__ = ["MultipleHeads", "RangeNotAllowed", "ResolutionError", "Revision", "RevisionMap"]


def _ids(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


class Revision:
    """One revision as Alembic's RevisionMap takes it: id, parents, dependencies, labels."""

    def __init__(
        self,
        revision: str,
        down_revision: str | Sequence[str] | None,
        dependencies: str | Sequence[str] | None = None,
        branch_labels: str | Sequence[str] | None = None,
    ) -> None:
        self.revision = revision
        self.down_revision = down_revision
        self.dependencies = dependencies
        self.branch_labels = set(_ids(branch_labels))

    def __repr__(self) -> str:
        return f"Revision(revision={self.revision!r}, down_revision={self.down_revision!r})"


class RevisionMap:
    """Alembic's RevisionMap: built from a generator of revisions, read on first use."""

    def __init__(self, generator: Callable[[], Iterable[Any]]) -> None:
        self._generator = generator
        self._graph: RevisionGraph | None = None
        self._objects: dict[str, Any] = {}

    @property
    def graph(self) -> RevisionGraph:
        """The validated graph of the generator's revisions."""
        if self._graph is None:
            revisions = []
            for item in self._generator():
                self._objects[item.revision] = item
                revisions.append(
                    GraphRevision(
                        revision=item.revision,
                        down_revisions=_ids(item.down_revision),
                        branch_labels=tuple(sorted(_ids(getattr(item, "branch_labels", None)))),
                        depends_on=_ids(getattr(item, "dependencies", None)),
                    )
                )
            self._graph = RevisionGraph(revisions)
        return self._graph

    @property
    def heads(self) -> tuple[str, ...]:
        """Every head revision id."""
        return tuple(self.graph.heads)

    @property
    def bases(self) -> tuple[str, ...]:
        """Every root revision id."""
        return tuple(self.graph.bases)

    def get_current_head(self) -> str | None:
        """The single head (None when empty); MultipleHeads when there are several."""
        heads = self.heads
        if len(heads) > 1:
            raise MultipleHeads("The revision map has multiple heads", "head")
        return heads[0] if heads else None

    def get_revision(self, id_: str | None) -> Any:
        """The revision an identifier names; None for base."""
        rev = self.graph.resolve_one(id_) if id_ is not None else None
        return self._objects[rev] if rev is not None else None

    def get_revisions(self, id_: str | Sequence[str] | None) -> tuple[Any, ...]:
        """The revisions an identifier (or several) names."""
        found: dict[str, None] = {}
        for identifier in _ids(id_):
            for rev in self.graph.resolve(identifier):
                found[rev] = None
        return tuple(self._objects[rev] for rev in found)

    def iterate_revisions(
        self, upper: str | None, lower: str | None, inclusive: bool = False, **kw: Any
    ) -> Iterator[Any]:
        """Revisions from `upper` down to `lower`, newest first (`lower` if `inclusive`)."""
        upper = upper or "heads"
        lower = lower or "base"
        excluded = set() if inclusive else set(self.graph.resolve(lower))
        for rev in self.graph.walk(upper=upper, lower=lower):
            if rev not in excluded:
                yield self._objects[rev]
