"""Errors that are also the built-in (or SQLAlchemy) exception Alembic raises in their place.

Revision code catches what Alembic raises: `except ValueError` around a batch
drop_constraint, `except NotImplementedError` around a directive batch mode refuses.
Each class here is a DistillError (one clear line on the command line) and an instance
of the type Alembic raises for the same mistake, so such code takes the same path.
"""

from __future__ import annotations

import sqlalchemy as sa

from distill.errors import DistillError


class ConstraintNameMissing(DistillError, ValueError):
    """A constraint that must be named has no name (Alembic: ValueError)."""


class NoSuchConstraint(DistillError, ValueError):
    """A constraint dropped by name is not on the table (Alembic: ValueError)."""


class UnnamedConstraintDrop(DistillError, sa.exc.CompileError, NotImplementedError):
    """drop_constraint without a name (Alembic: SQLAlchemy's CompileError where ALTER can
    drop constraints, NotImplementedError on SQLite, which has no such ALTER)."""


class NoSuchIndex(DistillError, ValueError):
    """An index dropped in batch mode is not on the table (Alembic: ValueError)."""


class NoSuchColumn(DistillError, KeyError):
    """A column named in batch mode is not in the table (Alembic: KeyError)."""

    def __str__(self) -> str:
        return self.message


class InvalidArgument(DistillError, ValueError):
    """An argument has a value the directive does not accept (Alembic: ValueError)."""


class WrongArgumentType(DistillError, TypeError):
    """An argument is of a kind the directive does not accept (Alembic: TypeError)."""


class NotInBatchMode(DistillError, AttributeError, NotImplementedError):
    """A directive batch_op does not have (Alembic: AttributeError, no such method)."""


class NoSuchTable(DistillError, sa.exc.NoSuchTableError):
    """The table to reflect does not exist (SQLAlchemy: NoSuchTableError)."""

    def __init__(self, message: str) -> None:
        DistillError.__init__(self, message)

    def __str__(self) -> str:
        return self.message
