"""SQL fragments as databases report them, reduced to a form that compares fairly.

A server default the model wrote as `"0"` comes back as `'0'::numeric` (PostgreSQL),
`0.00` (MariaDB) or `'0'` (SQLite); `func.now()` as `now()`, `current_timestamp()` or
`CURRENT_TIMESTAMP`. Each side is reduced to a (kind, value) pair before comparing, so
that what distill or Alembic wrote never reads as a change.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

# a trailing PostgreSQL cast: ::numeric, ::character varying(20), ::text[], ::"Kind"
_CAST = re.compile(r'::(?:"[^"]+"|[a-z_][\w ]*?)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*\s*$', re.I)
_CAST_WORDS = r"(?: varying| precision| without time zone| with time zone)?"
_CASTS_ANYWHERE = re.compile(r'::(?:"[^"]+"|[a-z_]\w*' + _CAST_WORDS + r")(?:\[\])*", re.I)
_NOW = {"now()", "current_timestamp", "current_timestamp()", "localtimestamp", "getdate()"}


def strip_parentheses(text: str) -> str:
    """`((x))` -> `x`, only where the outer pair encloses everything."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _encloses(text):
        text = text[1:-1].strip()
    return text


def _encloses(text: str) -> bool:
    depth = 0
    quoted = False
    for position, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0 and position != len(text) - 1:
                return False
    return depth == 0


def default_key(text: str | None) -> tuple[str, Any] | None:
    """A server default reduced to a comparable (kind, value); None for no default."""
    if text is None:
        return None
    text = strip_parentheses(text)
    while True:
        stripped = _CAST.sub("", text).strip()
        if stripped == text:
            break
        text = strip_parentheses(stripped)
    if text.upper() == "NULL":
        return None
    literal = _quoted_literal(text)
    if literal is not None:
        number = _number(literal)
        return ("number", number) if number is not None else ("string", literal)
    lowered = text.lower()
    if lowered in ("true", "false"):
        return ("number", Decimal(1 if lowered == "true" else 0))
    if lowered in _NOW or re.fullmatch(r"current_timestamp\(\d\)", lowered):
        return ("now", "")
    number = _number(text)
    if number is not None:
        return ("number", number)
    return ("sql", expression_key(text))


def _quoted_literal(text: str) -> str | None:
    """The value of a whole single-quoted SQL string literal, else None."""
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        body = text[1:-1]
        if "'" not in body.replace("''", ""):
            return body.replace("''", "'")
    return None


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None


def expression_key(text: str) -> str:
    """SQL expression text without casts, quoting, case, spaces and parentheses."""
    text = _CASTS_ANYWHERE.sub("", text)
    pieces = re.split(r"('(?:[^']|'')*')", text)
    normal = []
    for index, piece in enumerate(pieces):
        if index % 2:  # a string literal: kept as written
            normal.append(piece)
        else:
            normal.append(re.sub(r'[\s()`"\[\]]', "", piece).lower())
    return "".join(normal)


def compiled(element: Any, dialect: Dialect) -> str:
    """A SQLAlchemy expression as SQL for `dialect`, values inlined, no table prefixes."""
    if isinstance(element, str):
        return element
    if isinstance(element, sa.TextClause):
        return element.text
    return str(
        element.compile(
            dialect=dialect, compile_kwargs={"literal_binds": True, "include_table": False}
        )
    )


def metadata_default_text(column: sa.Column[Any], dialect: Dialect) -> str | None:
    """The model's server default as SQL text (None: none, or not a plain default)."""
    default = column.server_default
    if default is None or isinstance(default, (sa.Computed, sa.Identity)):
        return None
    if not isinstance(default, sa.DefaultClause):
        return None
    argument = default.arg
    if isinstance(argument, str):
        return "'" + argument.replace("'", "''") + "'"
    return compiled(argument, dialect)
