"""Revisions that commit or roll back the connection themselves: the run follows what the
connection did, as Alembic does, and a failure reports the state read back from the database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from support.failures import failure_text
from support.runtime_project import Project

from distill import command

BACKENDS = ["sqlite_url", "pg_url"]
CREATE_T2 = 'op.execute("CREATE TABLE t2 (id INTEGER)")'

COMMITS_THEN_INDEXES = """
op.execute("CREATE TABLE t1 (id INTEGER)")
op.get_bind().commit()
with op.get_context().autocommit_block():
    op.execute(index_sql)
"""


def index_sql(url: str) -> str:
    concurrently = " CONCURRENTLY" if url.startswith("postgresql") else ""
    return f'"CREATE INDEX{concurrently} ix_t1 ON t1 (id)"'


def indexes(project: Project, table: str) -> set[str]:
    with project.engine().connect() as connection:
        return {index["name"] or "" for index in sa.inspect(connection).get_indexes(table)}


@pytest.mark.parametrize("url_fixture", BACKENDS)
@pytest.mark.parametrize("per_migration", [True, False])
def test_revision_commits_before_an_autocommit_block(
    tmp_path: Path, url_fixture: str, per_migration: bool, request: pytest.FixtureRequest
) -> None:
    project = Project(tmp_path, request.getfixturevalue(url_fixture))
    body = COMMITS_THEN_INDEXES.replace("index_sql", index_sql(project.url))
    project.add("aaa111", None, "indexed", body, 'op.execute("DROP TABLE t1")')
    project.add("bbb222", "aaa111", "after", CREATE_T2, 'op.execute("DROP TABLE t2")')
    config = project.config(configure={"transaction_per_migration": per_migration})
    command.upgrade(config, "head")
    assert project.rows() == {"bbb222"}
    assert project.tables() == {"alembic_version", "t1", "t2"}
    assert indexes(project, "t1") == {"ix_t1"}
    command.downgrade(config, "base")
    assert project.rows() == set()
    assert project.tables() == {"alembic_version"}


@pytest.mark.parametrize("url_fixture", BACKENDS)
@pytest.mark.parametrize("per_migration", [True, False])
def test_version_row_rides_in_the_connections_next_transaction(
    tmp_path: Path, url_fixture: str, per_migration: bool, request: pytest.FixtureRequest
) -> None:
    project = Project(tmp_path, request.getfixturevalue(url_fixture))
    project.add(
        "aaa111",
        None,
        "commits twice",
        """
        connection = op.get_bind()
        op.execute("CREATE TABLE t1 (id INTEGER)")
        connection.commit()
        op.execute("CREATE TABLE t2 (id INTEGER)")
        connection.rollback()
        op.execute("CREATE TABLE t3 (id INTEGER)")
        connection.commit()
        """,
    )
    config = project.config(configure={"transaction_per_migration": per_migration})
    command.upgrade(config, "head")
    assert project.rows() == {"aaa111"}
    assert project.tables() == {"alembic_version", "t1", "t3"}


@pytest.mark.parametrize("url_fixture", BACKENDS)
def test_failure_after_a_commit_reports_the_state_read_back(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    project = Project(tmp_path, request.getfixturevalue(url_fixture))
    project.add("aaa111", None, "one", 'op.execute("CREATE TABLE t0 (id INTEGER)")')
    project.add(
        "bbb222",
        "aaa111",
        "commits then fails",
        """
        op.execute("CREATE TABLE t1 (id INTEGER)")
        op.get_bind().commit()
        op.execute("CREATE TABLE t2 (id INTEGER)")
        op.execute("SELECT * FROM nope")
        """,
    )
    config = project.config(configure={"transaction_per_migration": True})
    with pytest.raises(Exception) as caught:
        command.upgrade(config, "head")
    message = failure_text(caught.value)
    assert "bbb222 committed part of its work itself" in message
    assert "version table (read back): aaa111" in message
    assert "was not" not in message
    assert project.rows() == {"aaa111"}
    assert project.tables() == {"alembic_version", "t0", "t1"}
    # the next run completes the revision's remaining work
    project.add(
        "bbb222",
        "aaa111",
        "commits then fails",
        'op.execute("CREATE TABLE IF NOT EXISTS t1 (id INTEGER)")\n'
        'op.execute("CREATE TABLE t2 (id INTEGER)")',
    )
    command.upgrade(config, "head")
    assert project.rows() == {"bbb222"}
