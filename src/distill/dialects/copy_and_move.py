"""Alembic's "move and copy" of a table, as batch mode does it on every backend and every
offline script: CREATE the new table, copy the rows, DROP the old one, RENAME, indexes."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa

from distill.dialects.base import DialectImpl
from distill.dialects.ddl import RenameTable
from distill.dialects.table_rebuild import TableRebuild


def copy_and_move(impl: DialectImpl, rebuild: TableRebuild) -> None:
    """CREATE the new table, copy the rows, DROP the old table, RENAME, then the indexes.

    Alembic's sequence (CREATE TABLE _alembic_tmp_<t>, INSERT ... SELECT, DROP TABLE,
    ALTER TABLE ... RENAME, CREATE INDEX): batch mode on every backend, and every offline
    script.
    """
    new = rebuild.new_table()
    if impl.constraint_names_per_schema:
        # the new table reuses these names while the old one still holds them
        for constraint in rebuild.kept_named_constraints():
            impl.drop_constraint(constraint)
    create_table_statements(impl, new)
    try:
        impl.execute(rebuild.insert_from_select(new))
        impl.execute(sa.schema.DropTable(named_table(rebuild.name, rebuild.schema)))
    except Exception:
        # where DDL cannot be rolled back, do not leave the half-made table behind
        if not impl.as_sql and not impl.transactional_ddl:
            with contextlib.suppress(Exception):
                impl.execute(sa.schema.DropTable(new))
        raise
    impl.execute(RenameTable(rebuild.temp_name, rebuild.name, rebuild.schema))
    final = rebuild.new_table(name=rebuild.name)
    for index in rebuild.final_indexes(final):
        impl.execute(sa.schema.CreateIndex(index))


def create_table_statements(impl: DialectImpl, table: sa.Table) -> None:
    """CREATE TABLE and, where comments are separate statements, the comments."""
    impl.execute(sa.schema.CreateTable(table))
    impl.create_comments(table)


def named_table(name: str, schema: str | None) -> sa.Table:
    """A stand-in Table known by its name only (enough for DROP TABLE)."""
    return sa.Table(name, sa.MetaData(), schema=schema)
