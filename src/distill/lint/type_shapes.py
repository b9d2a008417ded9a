"""Column types reduced to a TypeShape, and what changing one shape into another costs."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa

from distill.lint.changes import TypeShape

TypeCost = Literal["same", "widens", "rewrites", "narrows"]

_INTEGER_BITS: tuple[tuple[type[Any], int], ...] = (
    (sa.SmallInteger, 16),
    (sa.BigInteger, 64),
    (sa.Integer, 32),
)

# families a value of the key family always fits into (possibly by a rewrite)
_LOSSLESS_TARGETS = {
    "integer": {"numeric", "float", "string"},
    "numeric": {"string"},
    "float": {"string"},
    "boolean": {"integer", "string"},
    "date": {"datetime", "string"},
    "datetime": {"string"},
    "time": {"string"},
    "uuid": {"string"},
}


def shape_of_type(type_: Any) -> TypeShape | None:
    """The TypeShape of a SQLAlchemy type (or type class); None when not given."""
    if type_ is None:
        return None
    if isinstance(type_, type):
        type_ = type_()
    if not isinstance(type_, sa.types.TypeEngine):
        return None
    if isinstance(type_, sa.Enum):
        return TypeShape("enum")
    if isinstance(type_, sa.String):
        return TypeShape("string", type_.length)
    for klass, bits in _INTEGER_BITS:
        if isinstance(type_, klass):
            return TypeShape("integer", bits)
    if isinstance(type_, sa.Float):
        return TypeShape("float", type_.precision)
    if isinstance(type_, sa.Numeric):
        return TypeShape("numeric", type_.precision, type_.scale)
    for klass, family in (
        (sa.Boolean, "boolean"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.Time, "time"),
        (sa.Uuid, "uuid"),
    ):
        if isinstance(type_, klass):
            return TypeShape(family)
    return TypeShape(type(type_).__name__.lower())


def type_change_cost(old: TypeShape | None, new: TypeShape | None) -> TypeCost:
    """How a column type change affects existing rows.

    narrows: some values of the old type do not fit the new one; rewrites: every row is
    converted (the table is rewritten under a lock); widens: a longer string; same: no change.
    Without the old type nothing can be proven, so the change counts as a rewrite.
    """
    if new is None:
        return "same"
    if old is None:
        return "rewrites"
    if old == new:
        return "same"
    if old.family == new.family:
        if _smaller(new.size, old.size) or _smaller(new.scale, old.scale):
            return "narrows"
        return "widens" if old.family == "string" else "rewrites"
    if new.family in _LOSSLESS_TARGETS.get(old.family, set()):
        if new.family == "string" and new.size is not None:
            return "narrows"
        return "rewrites"
    return "narrows"


def _smaller(new: int | None, old: int | None) -> bool:
    """Whether a bound shrinks (None is unbounded)."""
    if new is None:
        return False
    return old is None or new < old
