"""SQLite's objects that only raw SQL makes: views and triggers, as sqlite_master keeps
their CREATE statements (raw_objects.py), in the order they were created."""

from __future__ import annotations

import sqlalchemy as sa

from distill.dialects.own_objects import is_own_object
from distill.dialects.raw_objects import RawObject, quoted

_OBJECTS = """
SELECT type, name, tbl_name, sql FROM sqlite_master
WHERE type IN ('view', 'trigger') AND sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY rowid
"""


def sqlite_objects(connection: sa.Connection) -> list[RawObject]:
    """The views, then the triggers (one may be INSTEAD OF a view), of the main schema."""
    rows = [tuple(row) for row in connection.exec_driver_sql(_OBJECTS)]
    found = [
        RawObject(
            str(kind),
            str(name),
            str(sql).strip().rstrip(";"),
            f"DROP {str(kind).upper()} {quoted(str(name))}",
        )
        for kind, name, table, sql in rows
        if not is_own_object(str(name)) and not is_own_object(str(table))
    ]
    return sorted(found, key=lambda found: found.kind == "trigger")
