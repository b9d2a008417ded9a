"""--ddl-lock-timeout and --retries on PostgreSQL, against a real transaction of another
connection that holds a lock on the table a revision alters."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from distill.dialects.postgresql_locks import relation_names
from tests.support.cli_project import (
    distill,
    new_project,
    versions,
    write_revision,
)
from tests.support.lock_project import NOTE, finish, runs, start

BLOCKER = "long report"


def _project(tmp_path: Path, url: str, per_migration: bool) -> Path:
    """a1 creates accounts, b2 adds a column to it; env.py as asked."""
    project = new_project(tmp_path, url)
    env = project / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "context.configure(connection=connection, target_metadata=target_metadata)",
            "context.configure(connection=connection, target_metadata=target_metadata, "
            f"transaction_per_migration={per_migration})",
        )
    )
    write_revision(
        project,
        "a1",
        None,
        "op.create_table('accounts', sa.Column('id', sa.Integer, primary_key=True))",
    )
    write_revision(
        project,
        "b2",
        "a1",
        NOTE.format(rev="b2") + "    op.add_column('accounts', sa.Column('note', sa.Text))",
    )
    result = distill(project, "upgrade", "a1")
    assert result.returncode == 0, result.stderr
    return project


@contextmanager
def _reading(url: str) -> Iterator[tuple[sa.Connection, int]]:
    """A connection inside a transaction that has read `accounts` (ACCESS SHARE held)."""
    engine = sa.create_engine(url, connect_args={"application_name": BLOCKER})
    try:
        with engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            connection.exec_driver_sql("SELECT count(*) FROM accounts").all()
            yield connection, pid
    finally:
        engine.dispose()


def _columns(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return [column["name"] for column in sa.inspect(engine).get_columns("accounts")]
    finally:
        engine.dispose()


def test_a_revision_waiting_for_a_lock_runs_again(pg_url: str, tmp_path: Path) -> None:
    project = _project(tmp_path, pg_url, per_migration=True)
    mark = tmp_path / "mark.txt"
    with _reading(pg_url) as (connection, pid):
        process = start(
            project, mark, "upgrade", "head", "--ddl-lock-timeout", "0.2", "--retries", "5"
        )
        deadline = time.monotonic() + 60
        while runs(mark).count("b2") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        connection.rollback()  # the long transaction ends; the next attempt gets the lock
        code, output = finish(process)
    assert code == 0, output
    assert f"table accounts is locked by pid {pid} (application_name '{BLOCKER}'" in output
    assert "idle in transaction" in output
    assert "running the revision again in a new transaction" in output
    assert runs(mark).count("b2") >= 2
    assert versions(pg_url) == ["b2"]
    assert "note" in _columns(pg_url)


def test_retries_used_up_name_the_table_and_the_blocker(pg_url: str, tmp_path: Path) -> None:
    project = _project(tmp_path, pg_url, per_migration=True)
    ini = project / "distill.ini"
    ini.write_text(
        ini.read_text().replace(
            "[distill]\n", "[distill]\nddl_lock_timeout = 0.2\nddl_retries = 1\n"
        )
    )
    mark = tmp_path / "mark.txt"
    with _reading(pg_url) as (_, pid):
        code, output = finish(start(project, mark, "upgrade", "head"))
    assert code == 1, output
    failed = [line for line in output.splitlines() if line.startswith("FAILED: ")]
    assert len(failed) == 1, output
    assert "lock timeout" in failed[0]
    assert f"Lock timeout (after 1 retry): table accounts is locked by pid {pid}" in failed[0]
    assert runs(mark).count("b2") == 2
    assert versions(pg_url) == ["a1"]
    assert "note" not in _columns(pg_url)


def test_no_retry_inside_one_transaction_for_the_whole_run(pg_url: str, tmp_path: Path) -> None:
    project = _project(tmp_path, pg_url, per_migration=False)
    mark = tmp_path / "mark.txt"
    with _reading(pg_url) as (_, pid):
        code, output = finish(
            start(project, mark, "upgrade", "head", "--ddl-lock-timeout", "0.2", "--retries", "3")
        )
    assert code == 1, output
    assert f"table accounts is locked by pid {pid}" in output
    assert "not retried" in output
    assert "transaction_per_migration=True" in output
    assert runs(mark).count("b2") == 1
    assert versions(pg_url) == ["a1"]


def test_without_a_lock_timeout_the_statement_waits(pg_url: str, tmp_path: Path) -> None:
    project = _project(tmp_path, pg_url, per_migration=True)
    mark = tmp_path / "mark.txt"
    with _reading(pg_url) as (connection, _):
        process = start(project, mark, "upgrade", "head")
        timer = threading.Timer(1.5, connection.rollback)
        timer.start()
        code, output = finish(process)
        timer.join()
    assert code == 0, output
    assert "Lock timeout" not in output
    assert runs(mark).count("b2") == 1


def test_ddl_lock_timeout_is_ignored_where_there_is_none(sqlite_url: str, tmp_path: Path) -> None:
    project = _project(tmp_path, sqlite_url, per_migration=True)
    code, output = finish(
        start(
            project,
            tmp_path / "mark.txt",
            "upgrade",
            "head",
            "--ddl-lock-timeout",
            "1",
            "--retries",
            "2",
        )
    )
    assert code == 0, output
    assert versions(sqlite_url) == ["b2"]


def test_relation_names_of_ddl_statements() -> None:
    assert relation_names("ALTER TABLE accounts ADD COLUMN note TEXT") == ["accounts"]
    assert relation_names('ALTER TABLE IF EXISTS ONLY "My Table" DROP x') == [
        "IF",
        "ONLY",
        '"My Table"',
    ]
    assert relation_names("CREATE INDEX ix_a ON app.accounts (note)") == ["ix_a", "app.accounts"]
    assert "parents" in relation_names(
        "ALTER TABLE kids ADD CONSTRAINT fk FOREIGN KEY (p) REFERENCES parents (id)"
    )


def test_a_failure_that_is_not_a_lock_timeout_is_not_retried(pg_url: str, tmp_path: Path) -> None:
    project = _project(tmp_path, pg_url, per_migration=True)
    write_revision(project, "c3", "b2", "op.execute('SELECT * FROM missing_table')")
    mark = tmp_path / "mark.txt"
    code, output = finish(start(project, mark, "upgrade", "head", "--retries", "3"))
    assert code == 1, output
    assert "missing_table" in output
    assert "running the revision again" not in output
    assert versions(pg_url) == ["b2"]
    assert_one_line_failure_text(output)


def assert_one_line_failure_text(output: str) -> None:
    """One FAILED line and no traceback."""
    assert "Traceback" not in output
    assert len([line for line in output.splitlines() if line.startswith("FAILED: ")]) == 1


def test_no_retry_after_an_autocommit_block_committed(pg_url: str, tmp_path: Path) -> None:
    project = _project(tmp_path, pg_url, per_migration=True)
    write_revision(
        project,
        "b2",
        "a1",
        NOTE.format(rev="b2")
        + "    with op.get_context().autocommit_block():\n"
        + "        op.execute('CREATE TABLE side (id INTEGER)')\n"
        + "    op.add_column('accounts', sa.Column('note', sa.Text))",
    )
    mark = tmp_path / "mark.txt"
    with _reading(pg_url) as (_, pid):
        code, output = finish(
            start(project, mark, "upgrade", "head", "--ddl-lock-timeout", "0.2", "--retries", "3")
        )
    assert code == 1, output
    assert f"table accounts is locked by pid {pid}" in output
    assert "not retried" in output
    assert runs(mark).count("b2") == 1
