"""Databases that live in one file (SQLite): where the file is, a consistent copy of it,
and the URL of a new scratch file.

Backups and `distill test` ask these questions; only this module knows which databases
are files and how to copy one while it may be in use (SQLite's online backup API reads a
consistent state page by page, where a plain file copy could catch a half-written one).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing

from sqlalchemy.engine import URL, make_url

_MEMORY_NAMES = {"", ":memory:"}


def scratch_url(path: str | os.PathLike[str]) -> str:
    """The URL of a new database file at `path` (SQLite)."""
    return f"sqlite:///{os.fspath(path)}"


def database_file(url: URL | str) -> str | None:
    """The absolute path of the file `url` names, None when it is not a file database."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in _MEMORY_NAMES or url.query.get("mode") == "memory":
        return None
    if database.startswith("file:"):  # a URI filename: the path is before any ?query
        database = database[len("file:") :].split("?", 1)[0]
        if database in _MEMORY_NAMES:
            return None
    return os.path.abspath(database)


def copy_database(source: str, destination: str) -> None:
    """Copy the database file `source` to `destination` with SQLite's online backup."""
    with (
        closing(sqlite3.connect(source)) as reading,
        closing(sqlite3.connect(destination)) as writing,
    ):
        reading.backup(writing)


def version_rows(path: str, version_table: str = "alembic_version") -> list[str] | None:
    """The revisions in the version table of the database file `path`; None without one."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        found = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
            (version_table,),
        ).fetchone()
        if found is None:
            return None
        quoted = '"' + version_table.replace('"', '""') + '"'
        rows = connection.execute(f"SELECT version_num FROM {quoted}").fetchall()
        return [str(row[0]) for row in rows]


def is_database_file(path: str) -> bool:
    """True when `path` is a readable SQLite database file."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        return False
    return True


def table_names(path: str) -> list[str]:
    """The tables of the database file `path`."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        return sorted(str(row[0]) for row in rows)
