"""Explaining what the database (or the backend's missing ALTER) refused, and how to go on."""

from __future__ import annotations

import sqlalchemy as sa

from distill.errors import DistillError

# words of a database message -> what to do about it (SQLite's messages; PostgreSQL and
# MySQL answer from their error codes in their own dialect modules)
MESSAGE_HINTS = {
    "no such table": "Check the table name (and schema=)",
    "no such column": "Check the column name",
}


def refusal_reason(error: sa.exc.DBAPIError) -> str:
    """The first line of the database's message (the driver's exception type if empty)."""
    lines = str(error.orig).strip().splitlines()
    return lines[0] if lines else type(error.orig).__name__


def message_hint(error: sa.exc.DBAPIError) -> str | None:
    """What to do about a refusal, judged by the words of the database's message."""
    message = str(error.orig)
    return next((hint for words, hint in MESSAGE_HINTS.items() if words in message), None)


class DatabaseRefusal(DistillError):
    """A statement the database refused, said in one line; each instance is also of the
    SQLAlchemy error class the driver's error came wrapped in (see `refusal`)."""


_REFUSAL_CLASSES: dict[type[sa.exc.DBAPIError], type[DatabaseRefusal]] = {}


def refusal(error: sa.exc.DBAPIError, message: str) -> DatabaseRefusal:
    """`message` as a DatabaseRefusal that is also an instance of `error`'s class
    (OperationalError, ProgrammingError, IntegrityError...) with its statement, parameters
    and driver error: Alembic lets that error through, and revision code catches it
    (`except sa.exc.ProgrammingError`, `except SQLAlchemyError`, `e.orig.pgcode`)."""
    base = type(error)
    kind = _REFUSAL_CLASSES.get(base)
    if kind is None:
        kind = type(base.__name__, (DatabaseRefusal, base), {"__module__": __name__})
        _REFUSAL_CLASSES[base] = kind
    refused = kind.__new__(kind)
    refused.__dict__.update(error.__dict__)
    refused.args = (message,)
    refused.message = message
    return refused


def explain_refusal(error: sa.exc.DBAPIError, *, where: str, hint: str | None) -> DistillError:
    """A DistillError naming the directive, the database's reason and the likely fix
    (also an instance of the SQLAlchemy error the database raised)."""
    reason = refusal_reason(error)
    statement = " ".join(str(error.statement or "").split())
    text = f"{where}: the database refused it: {reason}"
    if hint:
        text += f". {hint}"
    if statement:
        text += f" (statement: {statement})"
    return refusal(error, text)


def batch_hint(table_name: str) -> str:
    """How to do on SQLite what ALTER cannot: the batch (copy and move) mode."""
    return (
        f"use batch mode, which recreates the table: `with op.batch_alter_table("
        f"{table_name!r}) as batch_op:` and call the same operation on batch_op"
    )
