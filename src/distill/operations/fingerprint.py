"""A directive's fingerprint: a SHA-256 of a canonical text of what it asks for.

Used to resume a revision half-applied on a database that commits DDL at once: the
directives completed before the failure are skipped on the next run, each checked against
the fingerprint recorded when it ran. The text covers the op's own fields (names, columns
with their types, nullability, defaults, constraints, SQL text), never object ids, so
the same line of a revision gives the same fingerprint in any process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ClauseElement, TextClause
from sqlalchemy.sql.schema import DefaultClause, SchemaItem
from sqlalchemy.types import TypeEngine

_DEPTH = 12  # deeper than any op's structure; stops reference cycles
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # object addresses in a repr differ per process


def fingerprint(operation: Any) -> str:
    """The SHA-256 (hex) of the op's canonical text."""
    try:
        text = canonical(operation)
    except Exception:  # an op of a plugin this cannot read: its class and description
        describe = getattr(operation, "describe", None)
        text = f"{type(operation).__name__}: {describe() if callable(describe) else ''}"
    return hashlib.sha256(_ADDRESS.sub("", text).encode("utf-8")).hexdigest()


def canonical(value: Any, depth: int = 0) -> str:
    """A deterministic text of `value` and what it holds."""
    if depth > _DEPTH:
        return "..."
    deeper = depth + 1
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return repr(value)
    if isinstance(value, Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(canonical(item, deeper) for item in value) + "]"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(canonical(item, deeper) for item in value)) + "}"
    if isinstance(value, Mapping):
        items = sorted((str(key), canonical(item, deeper)) for key, item in value.items())
        return "{" + ", ".join(f"{key}: {item}" for key, item in items) + "}"
    if isinstance(value, TypeEngine):
        return repr(value)
    if isinstance(value, (SchemaItem, ClauseElement)):
        return _schema_or_sql(value, deeper)
    if callable(value) and hasattr(value, "__qualname__"):  # a function, a class
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    if dataclasses.is_dataclass(value) or (depth == 0 and hasattr(value, "__dict__")):
        return _object(value, deeper)  # the op itself, and plain data it holds
    return type(value).__name__  # anything else (a context, an engine) by its class only


def _object(value: Any, depth: int) -> str:
    """An op (or any plain object): its class and public fields."""
    fields = getattr(value, "__dict__", {})
    if not fields and dataclasses.is_dataclass(value):
        fields = {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
    parts = [
        f"{name}={canonical(item, depth)}"
        for name, item in sorted(fields.items())
        if not name.startswith("_")
    ]
    return f"{type(value).__name__}({', '.join(parts)})"


def _schema_or_sql(value: Any, depth: int) -> str:
    """Columns, tables, constraints, indexes, defaults and SQL expressions."""
    if isinstance(value, sa.Column):
        return _column(value, depth)
    if isinstance(value, DefaultClause):
        return f"DEFAULT {canonical(value.arg, depth)}"
    if isinstance(value, sa.Table):
        columns = [_column(column, depth) for column in value.columns]
        constraints = sorted(
            _constraint(c, depth) for c in value.constraints if not _is_primary_key(c)
        )
        indexes = sorted(_index(index, depth) for index in value.indexes)
        return (
            f"Table({value.schema}.{value.name}, {columns}, {constraints}, {indexes}, "
            f"{canonical(dict(value.kwargs), depth)}, comment={value.comment!r})"
        )
    if isinstance(value, sa.TableClause):
        return f"TableClause({value.schema}.{value.name}, {[c.name for c in value.columns]})"
    if isinstance(value, sa.Index):
        return _index(value, depth)
    if isinstance(value, sa.Constraint):
        return _constraint(value, depth)
    if isinstance(value, TextClause):
        return f"text({value.text!r})"
    if isinstance(value, ClauseElement):
        return _sql(value)
    return type(value).__name__


def _column(column: sa.Column[Any], depth: int) -> str:
    references = sorted(fk.target_fullname for fk in column.foreign_keys)
    default = getattr(column.default, "arg", column.default)
    return (
        f"Column({column.name}, {column.type!r}, nullable={column.nullable}, "
        f"primary_key={column.primary_key}, "
        f"server_default={canonical(column.server_default, depth)}, "
        f"default={canonical(default, depth)}, unique={column.unique}, index={column.index}, "
        f"autoincrement={column.autoincrement!r}, comment={column.comment!r}, "
        f"references={references}, {canonical(dict(column.dialect_kwargs), depth)})"
    )


def _is_primary_key(constraint: sa.Constraint) -> bool:
    """An unnamed primary key made from the columns' flags (their text already says it)."""
    return isinstance(constraint, sa.PrimaryKeyConstraint) and constraint.name is None


def _constraint(constraint: sa.Constraint, depth: int) -> str:
    kind = type(constraint).__name__
    # the names as written: the same before and after the constraint joins a table
    written = getattr(constraint, "_pending_colargs", None) or getattr(constraint, "columns", None)
    columns = [
        item if isinstance(item, str) else getattr(item, "name", "?") for item in written or ()
    ]
    extra = ""
    if isinstance(constraint, sa.CheckConstraint):
        extra = canonical(constraint.sqltext, depth)
    elif isinstance(constraint, sa.ForeignKeyConstraint):
        targets = [element.target_fullname for element in constraint.elements]
        extra = f"{targets} ondelete={constraint.ondelete} onupdate={constraint.onupdate}"
    return f"{kind}({constraint.name}, {columns}, {extra})"


def _index(index: sa.Index, depth: int) -> str:
    expressions = [
        getattr(item, "name", None) or canonical(item, depth) for item in index.expressions
    ]
    return (
        f"Index({index.name}, unique={index.unique}, {expressions}, "
        f"{canonical(dict(index.dialect_kwargs), depth)})"
    )


def _sql(element: ClauseElement) -> str:
    """A SQL expression with its values written in (bound values count)."""
    try:
        return str(element.compile(compile_kwargs={"literal_binds": True}))
    except Exception:  # values a literal cannot render: the text and the values apart
        compiled = element.compile()
        return f"{compiled} {sorted((k, repr(v)) for k, v in compiled.params.items())}"
