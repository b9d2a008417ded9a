"""Tables in an order that applies: referenced tables before the tables pointing at them.

New tables are created parents first and removed tables are dropped children first.
A cycle of foreign keys cannot be ordered: those foreign keys are taken out of the
CREATE TABLE and added once every table of the cycle exists (and dropped before the
tables are), as SQLAlchemy's `use_alter` does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")
Key = Hashable


def dependency_order(
    items: Sequence[T],
    key: Callable[[T], Key],
    depends_on: Callable[[T], Iterable[Key]],
) -> tuple[list[T], set[tuple[Key, Key]]]:
    """Items with each after what it depends on, and the (item, dependency) edges left out
    to break cycles. Ties keep the order of `items`."""
    keys = [key(item) for item in items]
    known = set(keys)
    edges: dict[Key, set[Key]] = {
        key(item): {d for d in depends_on(item) if d in known and d != key(item)} for item in items
    }
    by_key = dict(zip(keys, items, strict=True))
    done: set[Key] = set()
    ordered: list[T] = []
    broken: set[tuple[Key, Key]] = set()
    remaining = list(keys)
    while remaining:
        ready = next((k for k in remaining if edges[k] <= done), None)
        if ready is None:
            # a cycle: the first waiting table goes now; its pending dependencies are broken
            ready = remaining[0]
            for dependency in edges[ready] - done:
                broken.add((ready, dependency))
        done.add(ready)
        remaining.remove(ready)
        ordered.append(by_key[ready])
    return ordered, broken
