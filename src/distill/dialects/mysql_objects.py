"""MySQL's and MariaDB's objects that only raw SQL makes (raw_objects.py): MariaDB's
sequences, stored functions and procedures, views and triggers of the current database,
each as SHOW CREATE writes it without the DEFINER (this server's user).

A routine's or a trigger's BEGIN ... END body holds `;`: the statement goes to the server
whole, as one query, so it needs no DELIMITER (a client-side command of the mysql tool).
"""

from __future__ import annotations

import sqlalchemy as sa

from distill.dialects.own_objects import is_own_object
from distill.dialects.raw_objects import RawObject, quoted, without_definer

_SEQUENCES = """
SELECT TABLE_NAME FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'SEQUENCE' ORDER BY CREATE_TIME, TABLE_NAME
"""

_ROUTINES = """
SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES
WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY CREATED, ROUTINE_NAME
"""

_TRIGGERS = """
SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS
WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY CREATED, EVENT_OBJECT_TABLE, ACTION_ORDER
"""


def mysql_objects(connection: sa.Connection, views: list[RawObject]) -> list[RawObject]:
    """Sequences, functions and procedures, `views`, then triggers."""
    found = [_shown(connection, "sequence", str(name)) for (name,) in _rows(connection, _SEQUENCES)]
    found += [
        _shown(connection, str(kind).lower(), str(name))
        for name, kind in _rows(connection, _ROUTINES)
    ]
    found += views
    found += [
        _shown(connection, "trigger", str(name))
        for name, table in _rows(connection, _TRIGGERS)
        if not is_own_object(str(table))
    ]
    return [raw for raw in found if raw.create and not is_own_object(raw.name)]


def _rows(connection: sa.Connection, query: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in connection.exec_driver_sql(query)]


def _shown(connection: sa.Connection, kind: str, name: str) -> RawObject:
    """The object as SHOW CREATE gives it; an empty `create` when the user may not see it."""
    identifier = quoted(name, "`")
    row = connection.exec_driver_sql(f"SHOW CREATE {kind.upper()} {identifier}").first()
    # SHOW CREATE SEQUENCE: (name, statement); FUNCTION / PROCEDURE / TRIGGER: (name,
    # sql_mode, statement, ...)
    statement = None if row is None else row[1 if kind == "sequence" else 2]
    create = without_definer(str(statement).strip().rstrip(";")) if statement else ""
    return RawObject(kind, name, create, f"DROP {kind.upper()} {identifier}")
