"""The base every op derives from, and the helpers the op modules share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from distill.errors import DistillError


class NotReversible(DistillError, NotImplementedError):
    """An op whose reverse cannot be derived from what it holds."""


class MigrateOperation:
    """Base of every directive; third-party operations subclass it, as with Alembic."""

    def reverse(self) -> MigrateOperation:
        """The op that undoes this one."""
        raise NotReversible(
            f"{self.describe()}: this operation has no automatic reverse; "
            "write the downgrade step by hand"
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        return type(self).__name__

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        raise NotImplementedError(f"{type(self).__name__} has no diff tuple")

    def _init(self, **values: Any) -> None:
        """Set fields on a frozen instance (the constructors keep Alembic's signatures)."""
        for name, value in values.items():
            object.__setattr__(self, name, value)


def qualified_name(table_name: str | None, schema: str | None) -> str:
    """The table name as messages show it: schema-qualified when there is a schema."""
    return f"{schema}.{table_name}" if schema else str(table_name)


def sql_text(element: Any) -> str:
    """SQL given as a string or a SQLAlchemy element, as a string."""
    return element if isinstance(element, str) else str(element)


@dataclass(frozen=True, eq=False, init=False)
class AlterTableOp(MigrateOperation):
    """Base of the ops that change one existing table."""

    table_name: str
    schema: str | None

    def __init__(self, table_name: str, *, schema: str | None = None) -> None:
        self._init(table_name=table_name, schema=schema)
