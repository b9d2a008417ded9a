"""The names distill gives the objects it adds to a database for itself.

Alembic's version table stays Alembic's; everything else distill keeps in a database (the
applied-revision log, its sequence and constraints) is named `distill_*` in the version
table's schema, so that autogenerate, `distill test` and comparisons can leave it out.
"""

from __future__ import annotations

OWN_PREFIX = "distill_"


def is_own_object(name: str | None) -> bool:
    """True for a table, index, sequence or constraint name distill made for itself."""
    return bool(name) and str(name).startswith(OWN_PREFIX)
