"""The generated tables: one shape, written as Python source and built as SQLAlchemy objects.

Every table has ten or eleven columns of common types, one or two foreign keys to
tables that exist before it, a named primary key, a unique constraint and an index,
so a revision creating it does what a real one does.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa


@dataclass(frozen=True)
class TableSpec:
    """One generated table: its name and the earlier tables its foreign keys point at."""

    name: str
    parents: tuple[str, ...]

    @property
    def index_name(self) -> str:
        """The name of the table's index on `name`."""
        return f"ix_{self.name}_name"


def table_name(number: int) -> str:
    """The name of the `number`-th generated table (sortable up to 99,999 tables)."""
    return f"t{number:05d}"


def revision_id(kind: str, number: int) -> str:
    """A stable, random-looking 12-digit revision id, like the ones `revision` makes."""
    return hashlib.sha1(f"{kind}:{number}".encode()).hexdigest()[:12]


def pick_parents(number: int, available: Sequence[str]) -> tuple[str, ...]:
    """The newest earlier table and one more chosen at random (seeded): 0 to 2 names."""
    if not available:
        return ()
    newest = available[-1]
    if len(available) == 1:
        return (newest,)
    other = available[random.Random(number).randrange(len(available) - 1)]
    return (newest, other)


def linear_tables(count: int) -> list[TableSpec]:
    """`count` tables, each with foreign keys to tables created before it."""
    names = [table_name(number) for number in range(1, count + 1)]
    return [
        TableSpec(name, pick_parents(number, names[: number - 1]))
        for number, name in enumerate(names, start=1)
    ]


def element_lines(spec: TableSpec) -> list[str]:
    """The columns and constraints of `spec` as source lines, in autogenerate's style."""
    lines = [
        'sa.Column("id", sa.Integer(), nullable=False),',
        'sa.Column("code", sa.String(length=32), nullable=False),',
        'sa.Column("name", sa.String(length=100), nullable=False),',
    ]
    lines += [f'sa.Column("{parent}_id", sa.Integer(), nullable=True),' for parent in spec.parents]
    lines += [
        'sa.Column("quantity", sa.Integer(), server_default=sa.text("0"), nullable=False),',
        'sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),',
        'sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),',
        'sa.Column("status", sa.String(length=20), server_default="new", nullable=False),',
        'sa.Column("notes", sa.Text(), nullable=True),',
        'sa.Column("created_at", sa.DateTime(), '
        'server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),',
    ]
    lines += [
        f'sa.ForeignKeyConstraint(["{parent}_id"], ["{parent}.id"], '
        f'name="fk_{spec.name}_{parent}_id"),'
        for parent in spec.parents
    ]
    lines += [
        f'sa.PrimaryKeyConstraint("id", name="pk_{spec.name}"),',
        f'sa.UniqueConstraint("code", name="uq_{spec.name}_code"),',
    ]
    return lines


def build_table(spec: TableSpec, metadata: sa.MetaData) -> sa.Table:
    """The same table as `element_lines` describes, built directly (no source evaluated)."""
    import sqlalchemy as sa

    columns: list[sa.Column[object] | sa.Constraint] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
    ]
    columns += [sa.Column(f"{parent}_id", sa.Integer(), nullable=True) for parent in spec.parents]
    columns += [
        sa.Column("quantity", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="new", nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
    ]
    columns += [
        sa.ForeignKeyConstraint(
            [f"{parent}_id"], [f"{parent}.id"], name=f"fk_{spec.name}_{parent}_id"
        )
        for parent in spec.parents
    ]
    columns += [
        sa.PrimaryKeyConstraint("id", name=f"pk_{spec.name}"),
        sa.UniqueConstraint("code", name=f"uq_{spec.name}_code"),
    ]
    table = sa.Table(spec.name, metadata, *columns)
    sa.Index(spec.index_name, table.c.name)
    return table


def models_source(specs: Sequence[TableSpec]) -> str:
    """A models module declaring every table of `specs` on one `metadata`."""
    parts = ['"""Models for the autogenerate benchmark."""\n\nimport sqlalchemy as sa\n\n']
    parts.append("metadata = sa.MetaData()\n")
    for spec in specs:
        body = "".join(f"    {line}\n" for line in element_lines(spec))
        parts.append(
            f'\n{spec.name} = sa.Table(\n    "{spec.name}",\n    metadata,\n{body}'
            f'    sa.Index("{spec.index_name}", "name"),\n)\n'
        )
    return "".join(parts)
