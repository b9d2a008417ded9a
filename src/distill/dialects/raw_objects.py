"""The schema objects only raw SQL makes: views, triggers, functions, procedures, sequences.

Autogenerate's renderer has no op for them, so `distill squash` reads each one's own
CREATE statement back from the database (`RunHooks.raw_objects`, overridden where a
dialect has more than views) and carries it into the baseline as `op.execute`. Each
statement is written so that it runs again as it is: no DEFINER naming this server's
user, no schema naming the scratch database's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from distill.dialects.own_objects import is_own_object


@dataclass(frozen=True)
class RawObject:
    """One object raw SQL made: its CREATE statement and the statement that drops it."""

    kind: str
    name: str
    create: str
    drop: str

    @property
    def label(self) -> str:
        """`trigger name`: how output and comparisons name it."""
        return f"{self.kind} {self.name}"


def view_objects(
    connection: sa.Connection, make: Callable[[str, str], str], quote: str = '"'
) -> list[RawObject]:
    """The views of the default schema, each CREATE VIEW made by `make(name, definition)`."""
    inspector = sa.inspect(connection)
    return [
        RawObject(
            "view",
            name,
            make(name, str(inspector.get_view_definition(name))),
            f"DROP VIEW {quoted(name, quote)}",
        )
        for name in sorted(inspector.get_view_names())
        if not is_own_object(name)
    ]


def quoted(name: str, quote: str = '"') -> str:
    """`name` as an identifier, quoted only when it needs to be."""
    if re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return name
    return f"{quote}{name.replace(quote, quote * 2)}{quote}"


def without_definer(statement: str) -> str:
    """A MySQL CREATE statement without its DEFINER=user@host (the server's own user)."""
    user = r"(`[^`]*`|'[^']*'|[^\s@]+)"
    return re.sub(rf"\s+DEFINER\s*=\s*{user}(@{user})?", "", statement, count=1)
