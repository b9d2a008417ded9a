"""The objects raw SQL made in the squashed history, carried into the baseline.

The renderer has no op for views, triggers, functions, procedures or standalone
sequences: each dialect reads their CREATE statements back (`RunHooks.raw_objects`,
dialects/raw_objects.py) and the baseline runs them as `op.execute`: sequences, and the
functions a column default or a check calls, before the tables, the rest after them,
each after the objects it names, triggers last; its downgrade drops them in the reverse
order. The rebuild check compares them by name and by statement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import sqlalchemy as sa

from distill.autogenerate.reflect import ReflectedDatabase
from distill.dialects.raw_objects import RawObject

# what sqlalchemy's text() reads as a bind parameter
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


def read_raw_objects(connection: sa.Connection) -> list[RawObject]:
    """The raw-SQL objects of the default schema of `connection`, as its dialect reads them."""
    from distill.dialects import impl_class_for

    return impl_class_for(connection.dialect).raw_objects(connection)


def raw_objects_at(url: str) -> list[RawObject]:
    """The raw-SQL objects of the database at `url`."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return read_raw_objects(connection)
    finally:
        engine.dispose()


def keep_sequence_defaults(
    database: ReflectedDatabase, objects: Sequence[RawObject]
) -> ReflectedDatabase:
    """`database` with each column whose default takes the next value of a carried-over
    sequence marked not autoincrement: the renderer keeps its default as it is instead of
    making the column SERIAL (a new sequence of its own)."""
    names = [raw.name.strip('"') for raw in objects if raw.kind == "sequence"]
    if not names:
        return database
    pattern = re.compile(
        r"nextval\(\s*'(?:[^'.]+\.)?\"?(" + "|".join(map(re.escape, names)) + r")\"?'",
        re.IGNORECASE,
    )
    tables = {
        key: replace(
            table,
            columns=tuple(
                replace(column, autoincrement=False)
                if column.default and pattern.search(column.default)
                else column
                for column in table.columns
            ),
        )
        for key, table in database.tables.items()
    }
    return replace(database, tables=tables)


def creation_order(objects: Sequence[RawObject]) -> list[RawObject]:
    """`objects` in an order that creates them: sequences first, triggers last, and each
    other object after those it names (the dialect's order where nothing says otherwise)."""
    first = [raw for raw in objects if raw.kind == "sequence"]
    last = [raw for raw in objects if raw.kind == "trigger"]
    middle = [raw for raw in objects if raw.kind not in ("sequence", "trigger")]
    ordered: list[RawObject] = []
    while middle:
        ready = next(
            (raw for raw in middle if not any(_names(raw, other) for other in middle)),
            middle[0],  # a cycle of mentions: keep the dialect's order
        )
        ordered.append(ready)
        middle.remove(ready)
    return [*first, *ordered, *last]


def _names(raw: RawObject, other: RawObject) -> bool:
    """True when `raw`'s statement names `other` (which must then exist first)."""
    if raw is other:
        return False
    name = other.name.split("(", 1)[0].strip('"`')
    return re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", raw.create) is not None


def with_raw_objects(upgrade: str, downgrade: str, objects: Sequence[RawObject]) -> tuple[str, str]:
    """The rendered upgrade and downgrade bodies with `objects` created and dropped."""
    if not objects:
        return upgrade, downgrade
    ordered = creation_order(objects)
    before = [raw for raw in ordered if raw.kind == "sequence" or _called(raw, upgrade)]
    after = [raw for raw in ordered if raw not in before]
    header, _, rest = upgrade.partition("\n")
    if before:
        lines = "".join(f"    {_execute(raw.create)}\n" for raw in before)
        note = (
            "    # sequences (and functions the tables call) the replaced revisions made with"
            " raw SQL: review them\n"
        )
        upgrade = f"{header}\n{note}{lines}{rest}"
    if after:
        upgrade += (
            "\n    # views, functions and triggers the replaced revisions made with raw SQL:"
            " review them\n    "
        )
        upgrade += "\n    ".join(_execute(raw.create) for raw in after)
    header, _, rest = downgrade.partition("\n")
    drops = "".join(f"    {_execute(raw.drop)}\n" for raw in reversed(after))
    downgrade = f"{header}\n{drops}{rest}"
    if before:
        body, footer = downgrade.rsplit("\n", 1) if "\n" in downgrade else (downgrade, "")
        sequence_drops = "".join(f"\n    {_execute(raw.drop)}" for raw in reversed(before))
        downgrade = f"{body}{sequence_drops}\n{footer}" if footer else body + sequence_drops
    return upgrade, downgrade


def _called(raw: RawObject, tables: str) -> bool:
    """True for a function that the rendered tables call (in a default or a check): it
    must exist before them."""
    if raw.kind != "function":
        return False
    name = raw.name.split("(", 1)[0].strip('"`')
    return re.search(rf"(?<![\w$.]){re.escape(name)}\s*\(", tables) is not None


def _execute(sql: str) -> str:
    """`op.execute(...)` of `sql`, its colons escaped from text()'s bind parameters; a
    statement of several lines as a raw triple-quoted string, so it reads as written."""
    escaped = _BIND.sub(r"\\:\1", sql)
    if "\n" in escaped and '"""' not in escaped and not escaped.endswith(('"', "\\")):
        return f'op.execute(\n        r"""{escaped}"""\n    )'
    return f"op.execute({escaped!r})"


def notes_for(objects: Sequence[RawObject]) -> tuple[str, ...]:
    """One line per object for the output and the baseline's comment."""
    return tuple(
        f"{raw.label}: made by raw SQL, carried over as op.execute; review it"
        for raw in creation_order(objects)
    )


def raw_differences(history: Sequence[RawObject], rebuilt: Sequence[RawObject]) -> list[str]:
    """How the rebuilt database's raw-SQL objects differ from the history's (empty: equal)."""
    old = {raw.label: raw.create for raw in history}
    new = {raw.label: raw.create for raw in rebuilt}
    lines = [f"- {label}" for label in old if label not in new]
    lines += [f"+ {label}" for label in new if label not in old]
    lines += [
        f"~ {label} (its definition differs)"
        for label in old
        if label in new and old[label] != new[label]
    ]
    return lines
