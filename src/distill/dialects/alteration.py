"""What one `alter_column` asks for, as plain data, and the helpers reading it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from distill.errors import DistillError

if TYPE_CHECKING:
    from sqlalchemy.types import TypeEngine


@dataclass(frozen=True)
class ColumnAlteration:
    """One `alter_column` as plain data, with Alembic's sentinels.

    `server_default` and `comment` use False for "not changing" and None for "remove";
    the other attributes use None for "not changing". `existing_*` describe the column
    before the change, as far as the revision (or reflection) knows it.
    """

    table_name: str
    column_name: str
    schema: str | None = None
    nullable: bool | None = None
    server_default: Any = False
    new_column_name: str | None = None
    type_: TypeEngine[Any] | None = None
    comment: str | Literal[False] | None = False
    autoincrement: bool | None = None
    existing_type: TypeEngine[Any] | None = None
    existing_server_default: Any = False
    existing_nullable: bool | None = None
    existing_comment: str | None = None
    existing_autoincrement: bool | None = None
    kw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The column's name after the change."""
        return self.new_column_name or self.column_name

    @property
    def label(self) -> str:
        """`schema.table.column`, for messages."""
        table = f"{self.schema}.{self.table_name}" if self.schema else self.table_name
        return f"{table}.{self.column_name}"

    @property
    def changes_type(self) -> bool:
        """A new type is asked for."""
        return self.type_ is not None

    @property
    def changes_nullable(self) -> bool:
        """NULL / NOT NULL is asked for."""
        return self.nullable is not None

    @property
    def changes_default(self) -> bool:
        """A new server default, or its removal, is asked for."""
        return self.server_default is not False

    @property
    def changes_comment(self) -> bool:
        """A new comment, or its removal, is asked for."""
        return self.comment is not False

    @property
    def changes_name(self) -> bool:
        """The column is renamed."""
        return self.new_column_name is not None and self.new_column_name != self.column_name

    @property
    def changes_autoincrement(self) -> bool:
        """AUTO_INCREMENT is switched on or off (MySQL)."""
        return self.autoincrement is not None

    @property
    def changes_definition(self) -> bool:
        """Something beyond the name and the comment changes."""
        return (
            self.changes_type
            or self.changes_nullable
            or self.changes_default
            or self.changes_autoincrement
        )

    def column_after(self) -> sa.Column[Any]:
        """The best-known column after the change, on a stand-in table."""
        type_ = self.type_ if self.type_ is not None else self.existing_type
        nullable = self.nullable if self.nullable is not None else self.existing_nullable
        default = self.server_default if self.changes_default else self.existing_server_default
        comment = self.comment if self.changes_comment else self.existing_comment
        autoincrement = (
            self.autoincrement if self.autoincrement is not None else self.existing_autoincrement
        )
        args: list[Any] = []
        if isinstance(default, (sa.Computed, sa.Identity)):
            args.append(default._copy())
            default = None
        column: sa.Column[Any] = sa.Column(
            self.name,
            type_ if type_ is not None else sa.types.NULLTYPE,
            *args,
            nullable=True if nullable is None else nullable,
            server_default=None if default is False else default,
            comment=comment if isinstance(comment, str) else None,
            autoincrement="auto" if autoincrement is None else autoincrement,
        )
        sa.Table(self.table_name, sa.MetaData(), column, schema=self.schema)
        return column


def alteration_where(alteration: ColumnAlteration) -> str:
    """`alter_column('table', 'column')` for messages."""
    return f"alter_column({alteration.table_name!r}, {alteration.column_name!r})"


def check_alteration(alteration: ColumnAlteration) -> None:
    """Refuse what no ALTER can do, before anything runs."""
    where = alteration_where(alteration)
    if "postgresql_using" in alteration.kw and not alteration.changes_type:
        raise DistillError(
            f"{where}: postgresql_using must be used with the type_ parameter; pass the "
            "new type_= too"
        )
    computed = [
        d
        for d in (alteration.server_default, alteration.existing_server_default)
        if isinstance(d, sa.Computed)
    ]
    if computed and alteration.changes_default:
        raise DistillError(
            f"{where}: a computed (GENERATED ALWAYS AS) expression cannot be added to, "
            "changed on or removed from an existing column; drop the column and add it "
            "again with op.drop_column() / op.add_column()"
        )


def type_constraints(
    type_: TypeEngine[Any] | None, alteration: ColumnAlteration, *, old: bool
) -> list[sa.Constraint]:
    """The CHECK constraints a Boolean / Enum type makes for the column (create_constraint)."""
    if type_ is None or not alteration.changes_type:
        return []
    name = alteration.column_name if old else alteration.name
    column: sa.Column[Any] = sa.Column(name, type_)
    table = sa.Table(alteration.table_name, sa.MetaData(), column, schema=alteration.schema)
    return [c for c in table.constraints if not isinstance(c, sa.PrimaryKeyConstraint)]
