"""Alembic's diff tuples as plain records and one readable line each (what `check` prints)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

_COLUMN_CHANGES = {
    "modify_type": "type",
    "modify_nullable": "nullable",
    "modify_default": "server default",
    "modify_comment": "comment",
}


def _flatten(diffs: Iterable[Any]) -> Iterator[Any]:
    for diff in diffs:
        if isinstance(diff, list):
            yield from _flatten(diff)
        else:
            yield diff


def _qualified(schema: Any, name: Any) -> str:
    return f"{schema}.{name}" if schema else str(name)


def _text(value: Any) -> str:
    """A value as a short string (types compiled the way SQLAlchemy prints them)."""
    if value is None:
        return "None"
    text = getattr(value, "text", None)  # TextClause / DefaultClause
    if text is None and hasattr(value, "arg"):
        arg = value.arg
        text = getattr(arg, "text", arg)
    return str(text if text is not None else value)


def _table_of(item: Any) -> str | None:
    table = getattr(item, "table", None)
    if table is None or not hasattr(table, "name"):
        return None
    return _qualified(getattr(table, "schema", None), table.name)


def _columns_of(item: Any) -> list[str]:
    columns = getattr(item, "columns", None)
    if columns is None:
        return []
    try:
        return [str(getattr(column, "name", column)) for column in columns]
    except TypeError:
        return []


def describe_diff(diff: Any) -> dict[str, Any]:
    """One diff tuple as {"kind", "table", "column", "name", "text"}."""
    if not isinstance(diff, tuple) or not diff:
        return {"kind": type(diff).__name__, "text": str(diff)}
    kind = str(diff[0])
    record: dict[str, Any] = {"kind": kind}
    if kind in ("add_table", "remove_table"):
        table = _qualified(diff[1].schema, diff[1].name)
        record.update(table=table, text=f"{kind.replace('_', ' ')} {table}")
    elif kind in ("add_column", "remove_column"):
        table = _qualified(diff[1], diff[2])
        column = diff[3].name
        record.update(
            table=table, column=column, text=f"{kind.split('_')[0]} column {table}.{column}"
        )
        if kind == "add_column":
            record["text"] += f" ({_text(diff[3].type)})"
    elif kind in _COLUMN_CHANGES:
        table = _qualified(diff[1], diff[2])
        column = diff[3]
        old, new = _text(diff[5]), _text(diff[6])
        record.update(
            table=table,
            column=column,
            old=old,
            new=new,
            text=f"{_COLUMN_CHANGES[kind]} of {table}.{column}: {old} -> {new}",
        )
    elif kind in ("add_table_comment", "remove_table_comment"):
        table = _qualified(diff[1].schema, diff[1].name)
        record.update(table=table, text=f"{kind.replace('_', ' ')} on {table}")
    elif len(diff) >= 2:
        item = diff[1]
        name = getattr(item, "name", None)
        owner = _table_of(item)
        what = kind.replace("_fk", "_foreign_key").replace("_", " ")
        columns = _columns_of(item)
        text = f"{what} {name or '(unnamed)'}"
        if owner:
            text += f" on {owner}"
        if columns:
            text += f" ({', '.join(columns)})"
        record.update(table=owner, name=None if name is None else str(name), text=text)
    else:
        record["text"] = kind
    return record


def describe_diffs(diffs: Iterable[Any]) -> list[dict[str, Any]]:
    """Every diff (nested lists flattened), described."""
    return [describe_diff(diff) for diff in _flatten(diffs)]
