"""A database's whole content as comparable data: schema, version table and rows
(helpers only, no tests here)."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from distill.testing.schema import take_snapshot


def database_dump(url: str) -> object:
    """SQLite: the `iterdump()` script; elsewhere: the reflected schema (version table
    included), the version rows and every table's rows, sorted."""
    if url.startswith("sqlite"):
        path = sa.make_url(url).database
        assert path, url
        with sqlite3.connect(path) as connection:
            return list(connection.iterdump())
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            snapshot = take_snapshot(connection, version_table="__no_version_table__")
            rows = {}
            for name in sa.inspect(connection).get_table_names():
                table = sa.Table(name, sa.MetaData(), autoload_with=connection)
                found = connection.execute(sa.select(table)).all()
                rows[name] = sorted(tuple(map(repr, row)) for row in found)
        return (dict(snapshot.tables), snapshot.enums, rows)
    finally:
        engine.dispose()
