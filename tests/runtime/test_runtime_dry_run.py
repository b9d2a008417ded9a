"""`upgrade --dry-run` / `downgrade --dry-run`: the revisions run for real inside one
transaction that is rolled back; the database is byte-for-byte what it was."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.cli_project import assert_one_line_failure, distill, new_project, write_revision
from support.dumps import database_dump
from support.failures import failure_text
from support.runtime_project import Project

from distill import command
from distill.config import Config
from distill.errors import DistillError, MigrationError

URLS = ["sqlite_url", "pg_url"]


def history(project: Project) -> None:
    """aaa111 creates account with two rows; bbb222 adds a column and fills it; ccc333
    deletes a row and adds an index."""
    project.add(
        "aaa111",
        None,
        "create account",
        """
        op.create_table("account", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("name", sa.String(50)))
        op.bulk_insert(sa.table("account", sa.column("id"), sa.column("name")),
                       [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
        """,
        'op.drop_table("account")',
    )
    project.add(
        "bbb222",
        "aaa111",
        "add email",
        """
        op.add_column("account", sa.Column("email", sa.String(100)))
        op.execute("UPDATE account SET email = name || '@example.com'")
        """,
        'op.drop_column("account", "email")',
    )
    project.add(
        "ccc333",
        "bbb222",
        "prune",
        """
        op.execute("DELETE FROM account WHERE id = 2")
        op.create_index("ix_account_email", "account", ["email"])
        """,
        'op.drop_index("ix_account_email", table_name="account")',
    )


def _with_history(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> tuple[str, Project, Config]:
    """The database the fixture names, a project with the three revisions, its config."""
    url = request.getfixturevalue(url_fixture)
    project = Project(tmp_path, url)
    history(project)
    return url, project, project.config()


@pytest.mark.parametrize("url_fixture", URLS)
def test_upgrade_dry_run_changes_nothing_and_prints_each_statement(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    url, project, config = _with_history(tmp_path, url_fixture, request)
    command.upgrade(config, "aaa111")
    before = database_dump(url)

    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", dry_run=True)
    printed = config.output_buffer.getvalue()

    assert database_dump(url) == before
    assert project.rows() == {"aaa111"}
    assert "-- Running upgrade aaa111 -> bbb222, add email" in printed
    assert "-- Running upgrade bbb222 -> ccc333, prune" in printed
    assert "UPDATE account SET email = name || '@example.com';\n-- " in printed
    assert " ms, 2 rows\n" in printed  # the UPDATE's row count
    assert " ms, 1 row\n" in printed  # the DELETE's
    assert "CREATE INDEX ix_account_email ON account (email);" in printed
    assert "UPDATE alembic_version SET version_num='ccc333'" in printed  # the version row too
    assert printed.rstrip().endswith("-- rolled back: nothing changed")

    command.upgrade(config, "head")  # the real run still works afterwards
    assert project.rows() == {"ccc333"}


@pytest.mark.parametrize("url_fixture", URLS)
def test_dry_run_from_an_empty_database_leaves_no_version_table(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    url, project, config = _with_history(tmp_path, url_fixture, request)
    before = database_dump(url)
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", dry_run=True)
    assert database_dump(url) == before
    assert project.tables() == set()


@pytest.mark.parametrize("url_fixture", URLS)
def test_downgrade_dry_run_changes_nothing(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    url, _, config = _with_history(tmp_path, url_fixture, request)
    command.upgrade(config, "head")
    before = database_dump(url)
    config.output_buffer = io.StringIO()
    command.downgrade(config, "base", dry_run=True)
    printed = config.output_buffer.getvalue()
    assert database_dump(url) == before
    assert "-- Running downgrade aaa111 -> , create account" in printed
    assert "DROP TABLE account;" in printed
    assert printed.rstrip().endswith("-- rolled back: nothing changed")


@pytest.mark.parametrize("url_fixture", URLS)
def test_dry_run_in_a_one_transaction_env_py(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(url_fixture)
    project = Project(tmp_path, url)
    history(project)
    config = project.config(configure={"transaction_per_migration": False})
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", dry_run=True)
    assert project.tables() == set()


@pytest.mark.parametrize("url_fixture", URLS)
def test_failing_dry_run_changes_nothing(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(url_fixture)
    project = Project(tmp_path, url)
    history(project)
    project.add("ddd444", "ccc333", "broken", 'op.execute("SELECT * FROM nope")')
    config = project.config()
    command.upgrade(config, "aaa111")
    before = database_dump(url)
    config.output_buffer = io.StringIO()
    with pytest.raises(sa.exc.DBAPIError) as caught:
        command.upgrade(config, "head", dry_run=True)
    assert "version table (read back): aaa111" in failure_text(caught.value)
    assert database_dump(url) == before


COMMITS = {
    "connection.commit()": "op.get_bind().commit()",
    "autocommit_block()": (
        "with op.get_context().autocommit_block():\n        op.execute('SELECT 1')"
    ),
    "a COMMIT statement": 'op.execute("COMMIT")',
}


@pytest.mark.parametrize("how", list(COMMITS))
@pytest.mark.parametrize("url_fixture", URLS)
def test_a_revision_that_commits_stops_the_dry_run_before_the_commit(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest, how: str
) -> None:
    url = request.getfixturevalue(url_fixture)
    project = Project(tmp_path, url)
    history(project)
    project.add(
        "ddd444",
        "ccc333",
        "commits",
        "op.execute(\"INSERT INTO account (id, name) VALUES (9, 'z')\")\n" + COMMITS[how],
    )
    config = project.config()
    command.upgrade(config, "ccc333")
    before = database_dump(url)
    config.output_buffer = io.StringIO()
    with pytest.raises(MigrationError) as caught:
        command.upgrade(config, "head", dry_run=True)
    message = failure_text(caught.value)
    assert f"revision ddd444 cannot be dry-run: it commits ({how})" in message
    assert "Review it with --sql" in message
    assert database_dump(url) == before  # the INSERT before the commit is gone too


def test_mysql_refuses_and_points_at_sql(tmp_path: Path, mysql_url: str) -> None:
    project = Project(tmp_path, mysql_url)
    history(project)
    with pytest.raises(DistillError) as caught:
        command.upgrade(project.config(), "head", dry_run=True)
    message = str(caught.value)
    assert "upgrade --dry-run needs a database that rolls back DDL" in message
    assert "`upgrade --sql`" in message
    assert project.tables() == set()


def test_sqlite_without_transactional_ddl_refuses(tmp_path: Path, sqlite_url: str) -> None:
    project = Project(tmp_path, sqlite_url)
    history(project)
    config = project.config(configure={"transactional_ddl": False})
    with pytest.raises(DistillError, match="needs transactional DDL"):
        command.upgrade(config, "head", dry_run=True)
    assert project.tables() == set()


def test_dry_run_and_sql_together_are_refused(tmp_path: Path, sqlite_url: str) -> None:
    project = Project(tmp_path, sqlite_url)
    history(project)
    with pytest.raises(DistillError, match="--dry-run"):
        command.upgrade(project.config(), "head", sql=True, dry_run=True)


def test_cli_dry_run(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    write_revision(project, "aaa111", None, 'op.execute("CREATE TABLE t1 (id INTEGER)")')
    write_revision(project, "bbb222", "aaa111", 'op.execute("INSERT INTO t1 (id) VALUES (1)")')
    before = database_dump(url)
    result = distill(project, "upgrade", "head", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "CREATE TABLE t1 (id INTEGER);" in result.stdout
    assert "INSERT INTO t1 (id) VALUES (1);\n-- " in result.stdout
    assert result.stdout.rstrip().endswith("-- rolled back: nothing changed")
    assert database_dump(url) == before

    write_revision(project, "ccc333", "bbb222", "op.get_bind().commit()")
    stopped = distill(project, "upgrade", "head", "--dry-run")
    assert stopped.returncode == 1
    assert_one_line_failure(stopped, "revision ccc333 cannot be dry-run")
    assert database_dump(url) == before
