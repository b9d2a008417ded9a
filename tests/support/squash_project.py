"""Running distill on a squash test's project against one database, and its schema."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from distill.testing.schema import SchemaSnapshot, take_snapshot
from support.cli_project import distill


def point(project: Path, url: str) -> None:
    """Make the project's distill.ini name `url`."""
    ini = project / "distill.ini"
    text = re.sub(r"(?m)^sqlalchemy.url = .*$", f"sqlalchemy.url = {url}", ini.read_text())
    ini.write_text(text)


def run_on(project: Path, url: str, *args: str) -> str:
    """`distill ARGS` on `url`; it must exit 0; its output."""
    point(project, url)
    result = distill(project, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def snapshot(url: str) -> SchemaSnapshot:
    """The schema of the database at `url`."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return take_snapshot(connection)
    finally:
        engine.dispose()
