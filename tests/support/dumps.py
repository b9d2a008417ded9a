"""A database's whole content as comparable data: schema, version table and rows
(helpers only, no tests here)."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from distill.testing.schema import take_snapshot


def database_dump(url: str, own_tables: bool = True) -> object:
    """SQLite: the `iterdump()` script; elsewhere: the reflected schema (version table
    included), the version rows and every table's rows, sorted (`own_tables=False`: without
    distill's `distill_*` tables, whose rows carry times)."""
    if url.startswith("sqlite"):
        path = sa.make_url(url).database
        assert path, url
        with sqlite3.connect(path) as connection:
            lines = list(connection.iterdump())
        return lines if own_tables else [line for line in lines if "distill_" not in line]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            snapshot = take_snapshot(connection, version_table="__no_version_table__")
            rows = {}
            for name in sa.inspect(connection).get_table_names():
                if not own_tables and name.startswith("distill_"):
                    continue
                table = sa.Table(name, sa.MetaData(), autoload_with=connection)
                found = connection.execute(sa.select(table)).all()
                rows[name] = sorted(tuple(map(repr, row)) for row in found)
        tables = {
            name: table
            for name, table in snapshot.tables.items()
            if own_tables or not str(name).startswith("distill_")
        }
        return (tables, snapshot.enums, rows)
    finally:
        engine.dispose()
