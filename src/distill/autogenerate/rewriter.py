"""Rewriter: per-op-class hooks for `process_revision_directives` (Alembic's helper).

A Rewriter is called with (context, revision, directives) like any
`process_revision_directives` function; it walks the MigrationScripts and their
containers and replaces every op it has a hook for with what the hook returns (an op,
a list of ops, or None for none). Nothing calls it until autogenerate writes revisions.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from distill.autogenerate.containers import MigrationScript, OpContainer
from distill.errors import DistillError
from distill.operations.ops import MigrateOperation

_F = TypeVar("_F", bound=Callable[..., Any])
Hook = Callable[[Any, Any, Any], Any]


class Rewriter:
    """Replaces ops of chosen classes in the directives autogenerate produced."""

    def __init__(self) -> None:
        self._hooks: dict[type[Any], Hook] = {}
        self._chained: tuple[Callable[[Any, Any, list[Any]], Any], ...] = ()
        # ops this rewriter produced: they are walked into but not rewritten again
        self._done: weakref.WeakSet[Any] = weakref.WeakSet()

    def rewrites(self, operator: type[Any]) -> Callable[[_F], _F]:
        """Decorator: `fn(context, revision, op)` replaces each op of class `operator`."""

        def record(fn: _F) -> _F:
            self._hooks[operator] = fn
            return fn

        return record

    def chain(self, other: Callable[[Any, Any, list[Any]], Any]) -> Rewriter:
        """A rewriter that runs this one, then `other` (a Rewriter or any hook function)."""
        chained = Rewriter()
        chained._hooks = self._hooks
        chained._chained = (*self._chained, other)
        return chained

    def __call__(self, context: Any, revision: Any, directives: list[Any]) -> None:
        """Rewrite `directives` in place, then hand them to the chained rewriters."""
        self.process_revision_directives(context, revision, directives)
        for other in self._chained:
            other(context, revision, directives)

    def process_revision_directives(
        self, context: Any, revision: Any, directives: list[Any]
    ) -> None:
        """Rewrite `directives` in place with this rewriter's own hooks."""
        self._walk_list(context, revision, directives)

    def _walk_list(self, context: Any, revision: Any, directives: list[Any]) -> None:
        result: list[Any] = []
        for directive in directives:
            result.extend(self._walk(context, revision, directive))
        directives[:] = result

    def _walk(self, context: Any, revision: Any, directive: Any) -> list[Any]:
        replaced = self._rewrite(context, revision, directive)
        for item in replaced:
            if isinstance(item, MigrationScript):
                item.upgrade_ops = self._walk_single(context, revision, item.upgrade_ops_list)
                item.downgrade_ops = self._walk_single(context, revision, item.downgrade_ops_list)
            elif isinstance(item, OpContainer):
                self._walk_list(context, revision, item.ops)
        return replaced

    def _walk_single(self, context: Any, revision: Any, containers: list[Any]) -> list[Any]:
        result: list[Any] = []
        for container in containers:
            replaced = self._walk(context, revision, container)
            if len(replaced) != 1:
                raise DistillError(
                    f"a Rewriter hook for {type(container).__name__} returned "
                    f"{len(replaced)} objects; an UpgradeOps / DowngradeOps must be "
                    "replaced by exactly one container"
                )
            result.append(replaced[0])
        return result

    def _rewrite(self, context: Any, revision: Any, directive: Any) -> list[Any]:
        hook = next(
            (self._hooks[cls] for cls in type(directive).__mro__ if cls in self._hooks), None
        )
        if hook is None or directive in self._done:
            return [directive]
        result = hook(context, revision, directive)
        replaced = [] if result is None else result if isinstance(result, list) else [result]
        for item in replaced:
            if isinstance(item, MigrateOperation):
                self._done.add(item)
        return replaced
