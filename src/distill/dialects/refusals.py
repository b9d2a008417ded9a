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


def explain_refusal(error: sa.exc.DBAPIError, *, where: str, hint: str | None) -> DistillError:
    """A DistillError naming the directive, the database's reason and the likely fix."""
    reason = refusal_reason(error)
    statement = " ".join(str(error.statement or "").split())
    text = f"{where}: the database refused it: {reason}"
    if hint:
        text += f". {hint}"
    if statement:
        text += f" (statement: {statement})"
    return DistillError(text)


def batch_hint(table_name: str) -> str:
    """How to do on SQLite what ALTER cannot: the batch (copy and move) mode."""
    return (
        f"use batch mode, which recreates the table: `with op.batch_alter_table("
        f"{table_name!r}) as batch_op:` and call the same operation on batch_op"
    )
