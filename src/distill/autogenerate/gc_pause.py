"""Cyclic garbage collection that skips the objects existing when autogenerate starts.

By the time autogenerate runs, env.py has built the models: with a thousand tables,
every full collection walks a few hundred thousand SQLAlchemy objects, and reflection
and rendering allocate enough to trigger several (a tenth of a second each). Freezing
the objects present on entry (`gc.freeze`) leaves them out of those walks; what the run
itself allocates is collected as usual, and on exit they are collectable again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def existing_objects_frozen() -> Iterator[None]:
    """Leave today's objects out of collections for the block (not if someone froze some)."""
    if gc.get_freeze_count() or not gc.isenabled():
        yield  # the program manages the collector itself: leave it alone
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
