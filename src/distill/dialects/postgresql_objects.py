"""PostgreSQL's objects that only raw SQL makes, read from its catalogs (raw_objects.py).

Standalone sequences (not an identity column's, nor a SERIAL's under the name SERIAL
gives it: the column brings those back; a renamed table's SERIAL sequence is carried,
then given back to its column), materialized views, functions and procedures of the
current schema that no extension owns (`pg_get_functiondef`, with the schema qualifier
it always writes taken out so that the statement creates the function wherever it runs),
and user triggers (`pg_get_triggerdef`, its schema qualifiers taken out too). Each list
is in creation order (oid).
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from distill.dialects.own_objects import is_own_object
from distill.dialects.raw_objects import RawObject

_SCHEMA = "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"

_SEQUENCES = f"""
SELECT quote_ident(c.relname), format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin,
       s.seqmax, s.seqstart, s.seqcache, s.seqcycle, owner.table_name, owner.column_name
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
LEFT JOIN LATERAL (
    SELECT quote_ident(t.relname) AS table_name, quote_ident(a.attname) AS column_name,
           t.relname || '_' || a.attname || '_seq' AS serial_name
    FROM pg_depend d
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'
      AND d.refclassid = 'pg_class'::regclass
) owner ON true
WHERE c.relnamespace = {_SCHEMA}
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('i', 'e'))
  AND (owner.serial_name IS NULL OR owner.serial_name <> c.relname)
ORDER BY c.oid
"""

_MATERIALIZED_VIEWS = f"""
SELECT quote_ident(c.relname), pg_get_viewdef(c.oid)
FROM pg_class c
WHERE c.relkind = 'm' AND c.relnamespace = {_SCHEMA}
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY c.oid
"""

_ROUTINES = f"""
SELECT quote_ident(p.proname), p.prokind, pg_get_function_identity_arguments(p.oid),
       pg_get_functiondef(p.oid), quote_ident(current_schema())
FROM pg_proc p
WHERE p.pronamespace = {_SCHEMA} AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY p.oid
"""

_TRIGGERS = f"""
SELECT quote_ident(t.tgname), quote_ident(c.relname), pg_get_triggerdef(t.oid),
       quote_ident(current_schema())
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND c.relnamespace = {_SCHEMA}
ORDER BY t.oid
"""


def postgresql_objects(connection: sa.Connection, views: list[RawObject]) -> list[RawObject]:
    """Sequences, functions and procedures, `views` and materialized views, then triggers."""
    return [
        *_sequences(connection),
        *_routines(connection),
        *views,
        *_materialized_views(connection),
        *_triggers(connection),
    ]


def _rows(connection: sa.Connection, query: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in connection.exec_driver_sql(query)]


def _sequences(connection: sa.Connection) -> list[RawObject]:
    """Standalone sequences, and sequences a column owns under another name than the one
    SERIAL would give it (a renamed table's): those get their ownership back afterwards."""
    found = []
    for name, type_, step, low, high, start, cache, cycle, table, column in _rows(
        connection, _SEQUENCES
    ):
        if is_own_object(str(name)):
            continue
        create = (
            f"CREATE SEQUENCE {name} AS {type_} INCREMENT BY {step} MINVALUE {low} "
            f"MAXVALUE {high} START WITH {start} CACHE {cache}{'' if cycle else ' NO'} CYCLE"
        )
        # an owned sequence goes with its table: IF EXISTS, and its owner let go first
        drop = f"DROP SEQUENCE {'IF EXISTS ' if table else ''}{name}"
        found.append(RawObject("sequence", str(name), create, drop))
        if table is not None:
            owned = f"ALTER SEQUENCE {name} OWNED BY {table}.{column}"
            release = f"ALTER SEQUENCE {name} OWNED BY NONE"
            found.append(RawObject("sequence owner", str(name), owned, release))
    return found


def _materialized_views(connection: sa.Connection) -> list[RawObject]:
    return [
        RawObject(
            "materialized view",
            str(name),
            f"CREATE MATERIALIZED VIEW {name} AS {str(definition).strip().rstrip(';')}",
            f"DROP MATERIALIZED VIEW {name}",
        )
        for name, definition in _rows(connection, _MATERIALIZED_VIEWS)
        if not is_own_object(str(name))
    ]


def _routines(connection: sa.Connection) -> list[RawObject]:
    found = []
    for name, kind, arguments, definition, schema in _rows(connection, _ROUTINES):
        if is_own_object(str(name)):
            continue
        what = "procedure" if kind == "p" else "function"
        head, _, body = str(definition).strip().partition("\n")
        head = head.replace(f" {what.upper()} {schema}.", f" {what.upper()} ", 1)
        signature = f"{name}({arguments})"
        create = f"{head}\n{body}".strip()
        found.append(RawObject(what, signature, create, f"DROP {what.upper()} {signature}"))
    return found


def _triggers(connection: sa.Connection) -> list[RawObject]:
    found = []
    for name, table, definition, schema in _rows(connection, _TRIGGERS):
        if is_own_object(str(name)) or is_own_object(str(table)):
            continue
        # pg_get_triggerdef always names the schema of the trigger's table (and of a
        # constraint trigger's FROM table): the statement goes where the baseline runs
        create = re.sub(rf" (ON|FROM) {re.escape(str(schema))}\.", r" \1 ", str(definition))
        drop = f"DROP TRIGGER {name} ON {table}"
        found.append(RawObject("trigger", f"{name} on {table}", create, drop))
    return found
