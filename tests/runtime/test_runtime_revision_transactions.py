"""A revision is all or nothing: by default each revision runs in its own transaction
with its version-row change (PostgreSQL, SQLite), so a failure or a killed process
costs only that revision and a re-run continues."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.cli_project import new_project, write_revision
from support.dumps import database_dump
from support.failures import failure_text
from support.runtime_project import Project

from distill import command

URLS = ["sqlite_url", "pg_url"]


def four_revisions(project: Project, failing_body: str) -> Path:
    """r1..r4, each creating t<n> and a row in it; r3 runs `failing_body` last."""
    path = Path()
    for number in range(1, 5):
        body = f'op.execute("CREATE TABLE t{number} (id INTEGER)")\n'
        body += f'op.execute("INSERT INTO t{number} (id) VALUES ({number})")\n'
        if number == 3:
            body += failing_body
        down = f"rev{number - 1:03d}" if number > 1 else None
        written = project.add(f"rev{number:03d}", down, f"step {number}", body)
        if number == 3:
            path = written
    return path


@pytest.mark.parametrize("url_fixture", URLS)
def test_failure_in_revision_k_keeps_the_ones_before_and_a_rerun_continues(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    project = Project(tmp_path, request.getfixturevalue(url_fixture))
    path = four_revisions(project, 'op.execute("SELECT * FROM no_such_table")')
    with pytest.raises(sa.exc.DBAPIError) as caught:
        command.upgrade(project.config(), "head")
    assert "version table (read back): rev002" in failure_text(caught.value)
    assert project.rows() == {"rev002"}
    assert project.tables() == {"alembic_version", "t1", "t2"}  # t3 is absent, whole

    path.write_text(path.read_text().replace("no_such_table", "t1"))  # the fix
    command.upgrade(project.config(), "head")
    assert project.rows() == {"rev004"}
    assert project.tables() == {"alembic_version", "t1", "t2", "t3", "t4"}
    with project.engine().connect() as connection:
        counts = [
            connection.execute(sa.text(f"SELECT count(*) FROM t{n}")).scalar() for n in range(1, 5)
        ]
    assert counts == [1, 1, 1, 1]  # nothing ran twice


@pytest.mark.parametrize("url_fixture", URLS)
def test_explicit_one_transaction_per_run_is_honoured(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    project = Project(tmp_path, request.getfixturevalue(url_fixture))
    four_revisions(project, 'op.execute("SELECT * FROM no_such_table")')
    config = project.config(configure={"transaction_per_migration": False})
    with pytest.raises(sa.exc.DBAPIError):
        command.upgrade(config, "head")
    assert project.tables() == set()  # the whole run rolled back, as Alembic does


SEES = """
other = sa.create_engine(op.get_bind().engine.url, poolclass=sa.pool.NullPool)
with other.connect() as connection:
    rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    kw["seen"].append(set(rows))
other.dispose()
"""


@pytest.mark.parametrize("url_fixture", URLS)
def test_each_revision_commits_with_its_version_row(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    project = Project(tmp_path, request.getfixturevalue(url_fixture))
    project.add("aaa111", None, "one", 'op.execute("CREATE TABLE t1 (id INTEGER)")')
    project.add("bbb222", "aaa111", "two", SEES)
    project.add("ccc333", "bbb222", "three", SEES)
    seen: list[Any] = []
    command.upgrade(project.config(run_args={"seen": seen}), "head")
    # another connection sees each earlier revision's row as soon as it committed
    assert seen == [{"aaa111"}, {"bbb222"}]


SLEEPS = (
    "import os, time\n"
    "    op.execute('CREATE TABLE t2 (id INTEGER)')\n"
    "    op.execute('INSERT INTO t2 (id) VALUES (2)')\n"
    "    marker = os.environ['DISTILL_TEST_MARKER']\n"
    "    if not os.path.exists(marker):\n"
    "        open(marker, 'w').close()\n"
    "        time.sleep(120)"
)


def killable_project(root: Path, url: str) -> Path:
    """r1 creates t1; r2 creates t2, then sleeps the first time it runs; r3 creates t3."""
    root.mkdir()
    project = new_project(root, url)
    write_revision(project, "aaa111", None, 'op.execute("CREATE TABLE t1 (id INTEGER)")')
    write_revision(project, "bbb222", "aaa111", SLEEPS)
    write_revision(project, "ccc333", "bbb222", 'op.execute("CREATE TABLE t3 (id INTEGER)")')
    return project


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_in_the_middle_of_a_revision_then_rerun(
    tmp_path: Path, backend: str, new_database: Any
) -> None:
    killed_url, calm_url = new_database(backend), new_database(backend)
    killed = killable_project(tmp_path / "killed", killed_url)
    marker = tmp_path / "killed" / "marker"
    env = {**os.environ, "DISTILL_TEST_MARKER": str(marker), "PYTHONDONTWRITEBYTECODE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "distill", "upgrade", "head"],
        cwd=killed,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, "distill ended before reaching the sleeping revision"
        assert time.monotonic() < deadline, "the sleeping revision never started"
        time.sleep(0.05)
    process.kill()  # SIGKILL: no handler, no rollback, no goodbye
    process.wait(timeout=30)
    assert process.returncode == -9
    if backend == "postgresql":
        _wait_for_backend_to_go(killed_url)

    # the killed revision left nothing; the one before it is committed
    dump = database_dump(killed_url)
    assert _version_rows(killed_url) == ["aaa111"]
    assert "t2" not in str(dump)

    rerun = distill_env(killed, env, "upgrade", "head")
    assert rerun.returncode == 0, rerun.stderr

    calm = killable_project(tmp_path / "calm", calm_url)
    (tmp_path / "calm" / "marker").touch()  # no sleep: the undisturbed run
    calm_env = {**env, "DISTILL_TEST_MARKER": str(tmp_path / "calm" / "marker")}
    result = distill_env(calm, calm_env, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert database_dump(killed_url, own_tables=False) == database_dump(calm_url, own_tables=False)
    assert _version_rows(killed_url) == ["ccc333"]


def distill_env(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess with `env`."""
    return subprocess.run(
        [sys.executable, "-m", "distill", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _version_rows(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
            )
    finally:
        engine.dispose()


def _wait_for_backend_to_go(url: str) -> None:
    """PostgreSQL notices the dead client's socket a moment later and rolls back then."""
    database = sa.make_url(url).database
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + 30
    try:
        with engine.connect() as connection:
            while time.monotonic() < deadline:
                others = connection.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": database},
                ).scalar()
                if not others:
                    return
                time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError("the killed client's session never ended")


@pytest.mark.parametrize("url_fixture", URLS)
def test_begin_transaction_still_opens_one_for_code_that_runs_ops_itself(
    url_fixture: str, request: pytest.FixtureRequest
) -> None:
    """Applications and test helpers run ops inside `context.begin_transaction()` without
    run_migrations(); by default that block is still a real transaction."""
    from distill.operations.api import Operations
    from distill.runtime.migrator import MigrationContext

    engine = sa.create_engine(request.getfixturevalue(url_fixture), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection=connection)
        with pytest.raises(RuntimeError), context.begin_transaction():
            Operations(context).create_table("t1", sa.Column("id", sa.Integer))
            raise RuntimeError("undo")
        assert not sa.inspect(connection).has_table("t1")
    engine.dispose()


def test_postgresql_commits_of_revisions_before_the_last_do_not_wait_for_the_disk(
    tmp_path: Path, pg_url: str
) -> None:
    project = Project(tmp_path, pg_url)
    for number in range(1, 4):
        down = f"rev{number - 1:03d}" if number > 1 else None
        body = f'op.execute("CREATE TABLE t{number} (id INTEGER)")\n'
        project.add(f"rev{number:03d}", down, f"step {number}", body)
    seen: list[str] = []

    def record(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        command.upgrade(project.config(), "head", dry_run=True)
        dry = list(seen)
        seen.clear()
        command.upgrade(project.config(), "head")
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    deferred = "SET LOCAL synchronous_commit TO OFF"
    assert deferred not in dry  # a dry run commits nothing
    creates = [number for number, text in enumerate(seen) if text.startswith("CREATE TABLE t")]
    marks = [number for number, text in enumerate(seen) if text == deferred]
    # one before each commit but the last: the run's last commit is durable, and with it
    # every commit before it
    assert len(marks) == 2
    assert creates[0] < marks[0] < creates[1] < marks[1] < creates[2]
    assert project.rows() == {"rev003"}
    assert project.tables() == {"alembic_version", "t1", "t2", "t3"}
