"""An exception raised inside a revision reaches Python callers as itself (as under
Alembic), described by the RevisionFailure attached to it; the CLI prints that as one line.

The calls are the ones a test plugin or an application makes: `command.upgrade(cfg, ...)`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from support.cli_project import assert_one_line_failure, distill, new_project, write_revision
from support.runtime_project import Project

from distill import command
from distill.errors import CommandError, DistillError, MigrationError, revision_failure

RAISERS = [
    (AssertionError, "assert 1 == 2, 'sums are off'"),
    (ValueError, "raise ValueError('Constraint must have a name')"),
    (KeyError, "raise KeyError('missing')"),
    (NotImplementedError, "raise NotImplementedError('irreversible')"),
]


@pytest.mark.parametrize(("kind", "body"), RAISERS, ids=[kind.__name__ for kind, _ in RAISERS])
def test_python_error_in_upgrade_keeps_its_type(
    tmp_path: Path, sqlite_url: str, kind: type[Exception], body: str
) -> None:
    project = Project(tmp_path, sqlite_url)
    path = project.add("aaa111", None, "fails", body)
    with pytest.raises(kind) as caught:
        command.upgrade(project.config(), "head")
    assert type(caught.value) is kind  # the revision's own exception, not a wrapper
    failure = revision_failure(caught.value)
    assert failure is not None
    assert (failure.revision, failure.path, failure.statement) == ("aaa111", str(path), None)
    assert failure.message.startswith(
        f"upgrade of revision aaa111 ({path}) failed: {kind.__name__}"
    )
    assert failure.message in getattr(caught.value, "__notes__", [])  # shown in tracebacks


def test_not_implemented_downgrade_reads_as_irreversible(tmp_path: Path, sqlite_url: str) -> None:
    """The pattern of test suites that treat NotImplementedError as "irreversible"."""
    project = Project(tmp_path, sqlite_url)
    project.add("aaa111", None, "one", 'op.execute("CREATE TABLE t1 (id INTEGER)")')
    project.add(
        "bbb222",
        "aaa111",
        "data only",
        'op.execute("INSERT INTO t1 (id) VALUES (1)")',
        "raise NotImplementedError('bbb222 cannot be undone')",
    )
    config = project.config()
    command.upgrade(config, "head")
    irreversible = []
    try:
        command.downgrade(config, "-1")
    except NotImplementedError as error:
        irreversible.append(str(error))
    assert irreversible == ["bbb222 cannot be undone"]
    assert project.rows() == {"bbb222"}  # nothing moved


@pytest.mark.parametrize("url_fixture", ["sqlite_url", "pg_url"])
def test_database_error_keeps_sqlalchemys_type_and_statement(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    project = Project(tmp_path, request.getfixturevalue(url_fixture))
    project.add("aaa111", None, "bad sql", 'op.execute("SELECT id FROM no_such_table")')
    with pytest.raises(sa.exc.DBAPIError) as caught:
        command.upgrade(project.config(), "head")
    error = caught.value
    # SQLite says OperationalError, PostgreSQL ProgrammingError: what SQLAlchemy raised
    assert type(error) in (sa.exc.OperationalError, sa.exc.ProgrammingError)
    failure = revision_failure(error)
    assert failure is not None
    assert failure.statement == "SELECT id FROM no_such_table"
    assert "failing statement: SELECT id FROM no_such_table" in failure.message


def test_command_error_does_not_catch_revision_failures(tmp_path: Path, sqlite_url: str) -> None:
    project = Project(tmp_path, sqlite_url)
    project.add("aaa111", None, "fails", "raise ValueError('no')")
    assert not issubclass(MigrationError, DistillError)
    caught_by: list[str] = []
    try:
        command.upgrade(project.config(), "head")
    except CommandError:
        caught_by.append("CommandError")
    except ValueError:
        caught_by.append("ValueError")
    assert caught_by == ["ValueError"]
    # a command error outside any revision is still a CommandError
    with pytest.raises(CommandError):
        command.upgrade(project.config(), "zzz999")


def test_cli_prints_one_line_for_a_python_error(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    path = write_revision(project, "aaa111", None, "raise NotImplementedError('not yet')")
    result = distill(project, "upgrade", "head")
    assert result.returncode == 1
    line = assert_one_line_failure(
        result, "upgrade of revision aaa111", str(path), "NotImplementedError: not yet"
    )
    assert "Database state:" in line
    traced = distill(project, "--traceback", "upgrade", "head")
    assert "NotImplementedError: not yet" in traced.stderr
    assert "upgrade of revision aaa111" in traced.stderr  # the note under the traceback
