"""Each revision identifier form, run against SQLite, PostgreSQL and MariaDB.

History: aaa111 -> bbb222 -> ccc333, and a second root sss001 -> sss002 labelled "side".
The sequence carries the database from one state to the next; after each command the
version rows must be exactly what the identifier means. The expected rows are the ones
real Alembic 1.20.1 leaves after the same sequence on the same history (checked by
running it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli_project import new_project, versions, write_revision

from distill import command
from distill.config import Config
from distill.errors import DistillError

SEQUENCE = [
    ("upgrade", "aaa1", ["aaa111"]),  # unique prefix
    ("upgrade", "+1", ["bbb222"]),  # relative from the current revision
    ("upgrade", "side@head", ["bbb222", "sss002"]),  # label@head
    ("downgrade", "side@-1", ["bbb222", "sss001"]),  # label@-N
    ("downgrade", "side@base", ["bbb222"]),  # label@base
    ("upgrade", "heads", ["ccc333", "sss002"]),
    ("downgrade", "ccc333-1", ["bbb222", "sss002"]),  # <id>-N
    ("downgrade", "base", []),
    ("upgrade", "bbb222+1", ["ccc333"]),  # <id>+N from an empty database
    ("downgrade", "-2", ["aaa111"]),  # -N
    ("upgrade", "sss001", ["aaa111", "sss001"]),  # full id on the second root
    ("upgrade", "side", ["aaa111", "sss001"]),  # a bare label names its revision
    ("stamp", "heads", ["ccc333", "sss002"]),
    ("stamp", "side@sss001", ["ccc333", "sss001"]),  # label@<id>
]


def _project(tmp_path: Path, url: str) -> Config:
    """The two-root project of this module, pointing at `url`."""
    project = new_project(tmp_path, url)
    for rev, down in [("aaa111", None), ("bbb222", "aaa111"), ("ccc333", "bbb222")]:
        write_revision(project, rev, down, *_table(f"t_{rev}"))
    for rev, down in [("sss001", None), ("sss002", "sss001")]:
        write_revision(project, rev, down, *_table(f"t_{rev}"))
    side = project / "migrations" / "versions" / "sss001_x.py"
    side.write_text(side.read_text().replace("branch_labels = None", "branch_labels = ('side',)"))
    return Config(str(project / "distill.ini"))


def _table(name: str) -> tuple[str, str]:
    """Bodies creating and dropping one table."""
    return (
        f'op.create_table("{name}", sa.Column("id", sa.Integer, primary_key=True))',
        f'op.drop_table("{name}")',
    )


def test_every_identifier_form(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _project(tmp_path, db_url)
    monkeypatch.chdir(tmp_path)
    for verb, target, rows in SEQUENCE:
        getattr(command, verb)(config, target)
        assert versions(db_url) == rows, (verb, target)


@pytest.mark.parametrize(
    ("verb", "target", "message"),
    [
        ("upgrade", "head", "Multiple head revisions"),
        ("upgrade", "nosuch@head", "nosuch"),
        ("upgrade", "zzzz", "zzzz"),
        ("downgrade", "-9", "-9"),
    ],
)
def test_wrong_identifiers_change_nothing(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    verb: str,
    target: str,
    message: str,
) -> None:
    config = _project(tmp_path, sqlite_url)
    monkeypatch.chdir(tmp_path)
    command.upgrade(config, "bbb222")
    with pytest.raises(DistillError, match=message):
        getattr(command, verb)(config, target)
    assert versions(sqlite_url) == ["bbb222"]
