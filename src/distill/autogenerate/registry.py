"""Where autogenerate plugins register: comparators, renderers and named plugins.

The registries only record; the engine reads them: compare.py runs
`comparators.ordered(...)` around its own comparisons, render.py asks
`renderers.lookup(...)` before its own renderer of an op.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from distill.errors import DistillError

_F = TypeVar("_F", bound=Callable[..., Any])


class DispatchPriority(enum.IntEnum):
    """The batch a comparator runs in: FIRST, then MEDIUM (the default), then LAST."""

    FIRST = 50
    MEDIUM = 25
    LAST = 10


class PriorityDispatchResult(enum.Enum):
    """What a comparator returns: STOP skips the rest of its subgroup; anything else goes on."""

    CONTINUE = enum.auto()
    STOP = enum.auto()


class ComparatorRegistry:
    """Comparison functions per target ("schema", "table", "column", ...), in priority order."""

    def __init__(self) -> None:
        self._functions: defaultdict[
            tuple[str, str, DispatchPriority], list[tuple[Callable[..., Any], str | None]]
        ] = defaultdict(list)

    def dispatch_for(
        self,
        target: str,
        *,
        priority: DispatchPriority = DispatchPriority.MEDIUM,
        qualifier: str = "default",
        subgroup: str | None = None,
    ) -> Callable[[_F], _F]:
        """Decorator: record `fn` as a comparator for `target` (qualifier: a dialect name)."""

        def record(fn: _F) -> _F:
            self._functions[(target, qualifier, DispatchPriority(priority))].append((fn, subgroup))
            return fn

        return record

    def functions(
        self, target: str, qualifier: str = "default"
    ) -> list[tuple[Callable[..., Any], str | None]]:
        """The (function, subgroup) pairs for `target`, in the order they are to run.

        Priorities run FIRST to LAST; within one, a dialect's own functions come before
        the "default" ones.
        """
        qualifiers = [qualifier, "default"] if qualifier != "default" else ["default"]
        found: list[tuple[Callable[..., Any], str | None]] = []
        for priority in sorted(DispatchPriority, reverse=True):
            for name in qualifiers:
                found.extend(self._functions.get((target, name, priority), ()))
        return found

    def ordered(
        self, target: str, qualifier: str = "default"
    ) -> list[tuple[DispatchPriority, Callable[..., Any], str | None]]:
        """Like `functions`, with the priority of each function."""
        qualifiers = [qualifier, "default"] if qualifier != "default" else ["default"]
        found: list[tuple[DispatchPriority, Callable[..., Any], str | None]] = []
        for priority in sorted(DispatchPriority, reverse=True):
            for name in qualifiers:
                for fn, subgroup in self._functions.get((target, name, priority), ()):
                    found.append((priority, fn, subgroup))
        return found

    def populate_with(self, other: ComparatorRegistry) -> None:
        """Add everything `other` holds to this registry."""
        for key, entries in other._functions.items():
            self._functions[key].extend(entries)

    def branch(self) -> ComparatorRegistry:
        """A copy that can be added to without changing this one."""
        copy = ComparatorRegistry()
        copy.populate_with(self)
        return copy


class RendererRegistry:
    """One function per op class that writes that op as Python source for a revision file."""

    def __init__(self) -> None:
        self._functions: dict[tuple[Any, str], Callable[..., Any]] = {}

    def dispatch_for(
        self, target: Any, *, qualifier: str = "default", replace: bool = False
    ) -> Callable[[_F], _F]:
        """Decorator: record `fn(autogen_context, op) -> str` as the renderer of `target`."""

        def record(fn: _F) -> _F:
            if (target, qualifier) in self._functions and not replace:
                # Alembic raises ValueError with this wording; plugins may rely on the type
                raise ValueError(
                    f"Can not set dispatch function for object {target!r}: key already "
                    "exists. To replace existing function, use replace=True."
                )
            self._functions[(target, qualifier)] = fn
            return fn

        return record

    def lookup(self, target: Any, qualifier: str = "default") -> Callable[..., Any] | None:
        """The renderer for an op (or op class), found along its class hierarchy."""
        classes = target.__mro__ if isinstance(target, type) else type(target).__mro__
        qualifiers = [qualifier, "default"] if qualifier != "default" else ["default"]
        for cls in classes:
            for name in qualifiers:
                fn = self._functions.get((cls, name))
                if fn is not None:
                    return fn
        return None

    def branch(self) -> RendererRegistry:
        """A copy that can be added to without changing this one."""
        copy = RendererRegistry()
        copy._functions.update(self._functions)
        return copy


# The global registries plugins decorate their functions with.
comparators = ComparatorRegistry()
renderers = RendererRegistry()


class Plugin:
    """A named set of autogenerate comparators (Alembic 1.18's plugin API)."""

    _all: dict[str, Plugin] = {}

    def __init__(self, name: str) -> None:
        if name in Plugin._all:
            raise DistillError(
                f"A plugin named {name} is already registered; give the plugin another "
                "name or call .remove() on the existing one first"
            )
        self.name = name
        self.autogenerate_comparators = ComparatorRegistry()
        Plugin._all[name] = self

    def remove(self) -> None:
        """Forget this plugin."""
        Plugin._all.pop(self.name, None)

    def add_autogenerate_comparator(
        self,
        fn: Callable[..., Any],
        compare_target: str,
        compare_element: str | None = None,
        *,
        qualifier: str = "default",
        priority: DispatchPriority = DispatchPriority.MEDIUM,
    ) -> None:
        """Record a comparison function of this plugin."""
        self.autogenerate_comparators.dispatch_for(
            compare_target, priority=priority, qualifier=qualifier, subgroup=compare_element
        )(fn)

    @classmethod
    def registered(cls) -> dict[str, Plugin]:
        """The plugins set up so far, by name."""
        return dict(cls._all)

    @classmethod
    def setup_plugin_from_module(cls, module: Any, name: str) -> None:
        """Create the plugin `name` and hand it to the module's setup(plugin)."""
        module.setup(cls(name))
