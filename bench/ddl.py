"""The DDL a linear history runs, as SQLAlchemy elements: what the floors execute."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable, DropIndex, DropTable, ExecutableDDLElement

from bench.projects import Step
from bench.schema import TableSpec, build_table

# Alembic's version table, which both tools create before the first revision.
VERSION_TABLE = "alembic_version"
# One statement: DDL, or a version-row change written as text as both tools write it.
Element = ExecutableDDLElement | sa.TextClause


def version_table(metadata: sa.MetaData) -> sa.Table:
    """The version table as both tools define it."""
    return sa.Table(
        VERSION_TABLE,
        metadata,
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )


def _set_version(old: str | None, new: str | None) -> sa.TextClause:
    if old is None:
        return sa.text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES ('{new}')")
    if new is None:
        return sa.text(f"DELETE FROM {VERSION_TABLE} WHERE {VERSION_TABLE}.version_num = '{old}'")
    return sa.text(
        f"UPDATE {VERSION_TABLE} SET version_num='{new}' "
        f"WHERE {VERSION_TABLE}.version_num = '{old}'"
    )


def create_elements(specs: Sequence[TableSpec]) -> list[Element]:
    """CREATE TABLE and CREATE INDEX for every table, in order."""
    metadata = sa.MetaData()
    elements: list[Element] = []
    for spec in specs:
        table = build_table(spec, metadata)
        elements.append(CreateTable(table))
        elements += [CreateIndex(index) for index in table.indexes]
    return elements


def upgrade_elements(steps: Sequence[Step]) -> list[Element]:
    """Everything `upgrade head` runs on an empty database, version rows included."""
    metadata = sa.MetaData()
    elements: list[Element] = [CreateTable(version_table(metadata))]
    previous: str | None = None
    for step in steps:
        if step.table is not None:
            table = build_table(step.table, metadata)
            elements.append(CreateTable(table))
            elements += [CreateIndex(index) for index in table.indexes]
        elements.append(_set_version(previous, step.revision))
        previous = step.revision
    return elements


def downgrade_elements(steps: Sequence[Step]) -> list[Element]:
    """Everything `downgrade base` runs from the head of a linear history."""
    metadata = sa.MetaData()
    elements: list[Element] = []
    for position in range(len(steps) - 1, -1, -1):
        step = steps[position]
        if step.table is not None:
            table = build_table(step.table, metadata)
            elements += [DropIndex(index) for index in table.indexes]
            elements.append(DropTable(table))
        before = steps[position - 1].revision if position else None
        elements.append(_set_version(step.revision, before))
    return elements


def compiled(elements: Sequence[Element], url: str) -> list[str]:
    """Each element as one SQL string for the dialect of `url`."""
    dialect = sa.make_url(url).get_dialect()()
    return [str(element.compile(dialect=dialect)).strip() for element in elements]
