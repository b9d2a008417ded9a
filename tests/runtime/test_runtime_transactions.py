"""Running plans on real databases: version rows, transactions, failures, shared connections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.failures import failure_text
from support.runtime_project import Project, up

from distill import command
from distill.dialects.postgresql import is_lock_exhaustion

CREATE = 'op.execute("CREATE TABLE {0} (id INTEGER)")'
DROP = 'op.execute("DROP TABLE {0}")'


def branchy(project: Project) -> None:
    """aaa111 -> bbb222 -> (ccc111 | ccc333) -> mmm999; each creates a table of its name."""
    for rev, down, message in [
        ("aaa111", None, "create account"),
        ("bbb222", "aaa111", "add b"),
        ("ccc111", "bbb222", "c one"),
        ("ccc333", "bbb222", "c two"),
        ("mmm999", ("ccc111", "ccc333"), "merge cs"),
    ]:
        project.add(rev, down, message, CREATE.format(f"t_{rev}"), DROP.format(f"t_{rev}"))


def failing(project: Project) -> Path:
    """aaa111 creates t1; bbb222 creates t2, inserts into t1, then fails."""
    project.add("aaa111", None, "create t1", CREATE.format("t1"), DROP.format("t1"))
    return project.add(
        "bbb222",
        "aaa111",
        "create t2",
        """
        op.execute("CREATE TABLE t2 (id INTEGER)")
        op.execute("INSERT INTO t1 (id) VALUES (1)")
        op.execute("SELECT id FROM no_such_table")
        """,
    )


def test_version_rows_follow_upgrades_downgrades_and_stamps(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    branchy(project)
    config = project.config()
    expected = [
        (command.upgrade, "ccc111", {"ccc111"}, {"aaa111", "bbb222", "ccc111"}),
        (command.upgrade, "heads", {"mmm999"}, {"aaa111", "bbb222", "ccc111", "ccc333", "mmm999"}),
        (
            command.downgrade,
            "ccc111",
            {"ccc111", "ccc333"},
            {"aaa111", "bbb222", "ccc111", "ccc333"},
        ),
        (command.downgrade, "ccc333-1", {"bbb222"}, {"aaa111", "bbb222"}),
        (command.downgrade, "base", set(), set()),
    ]
    for run, target, rows, revisions_run in expected:
        run(config, target)
        assert project.rows() == rows, (run.__name__, target)
        assert project.tables() == {"alembic_version"} | {f"t_{r}" for r in revisions_run}
    command.stamp(config, "heads")
    assert project.rows() == {"mmm999"}
    command.stamp(config, ["ccc111", "ccc333"], purge=True)
    assert project.rows() == {"ccc111", "ccc333"}
    command.stamp(config, "base")
    assert project.rows() == set()
    assert project.tables() == {"alembic_version"}  # stamps run no revision


def test_stamps_move_rows_as_alembic_does(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    branchy(project)
    project.add("ddd444", "mmm999", "after merge")
    project.add("sss001", None, "side base", branch_labels=("side",), depends_on="bbb222")
    project.add("sss002", "sss001", "side two")
    config = project.config()
    for targets, rows in [
        (["ccc111"], {"ccc111"}),
        (["heads"], {"ddd444", "sss002"}),  # UPDATE ccc111 -> ddd444, INSERT sss002
        (["mmm999"], {"mmm999", "sss002"}),  # the other row is kept
        (["ccc111", "ccc333"], {"ccc111", "ccc333", "sss002"}),  # Alembic: KeyError here
        (["ccc111", "ccc111"], {"ccc111", "ccc333", "sss002"}),  # no-op
        (["base"], set()),
    ]:
        command.stamp(config, targets)
        assert project.rows() == rows, targets
    assert project.tables() == {"alembic_version"}


@pytest.mark.parametrize("url_fixture", ["sqlite_url", "pg_url"])
def test_failure_in_a_one_transaction_run_leaves_the_database_unchanged(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    project = Project(tmp_path, request.getfixturevalue(url_fixture))
    path = failing(project)
    with pytest.raises(Exception) as caught:
        command.upgrade(project.config(configure={"transaction_per_migration": False}), "head")
    message = failure_text(caught.value)
    assert "upgrade of revision bbb222" in message
    assert str(path) in message
    assert "SELECT id FROM no_such_table" in message
    assert "no_such_table" in message.split("failing statement")[0]  # the database's own words
    assert message.endswith(
        "Database state: rolled back: database unchanged; version table (read back): <base>"
    )
    # the version table, t1 of the revision before, t2 of the failing one: all gone
    assert project.tables() == set()


@pytest.mark.parametrize("configure", [{}, {"transaction_per_migration": True}])
@pytest.mark.parametrize("url_fixture", ["sqlite_url", "pg_url"])
def test_failure_with_transaction_per_migration_keeps_earlier_revisions(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest, configure: dict[str, bool]
) -> None:
    project = Project(tmp_path, request.getfixturevalue(url_fixture))
    failing(project)
    config = project.config(configure=configure)  # per revision is the default
    with pytest.raises(Exception) as caught:
        command.upgrade(config, "head")
    assert failure_text(caught.value).endswith(
        "Database state: rolled back; version table (read back): aaa111"
    )
    assert project.rows() == {"aaa111"}
    assert project.tables() == {"alembic_version", "t1"}
    engine = project.engine()
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT id FROM t1")).all() == []


def test_mysql_failure_says_what_was_applied(tmp_path: Path, mysql_url: str) -> None:
    project = Project(tmp_path, mysql_url)
    path = failing(project)
    with pytest.raises(Exception) as caught:
        command.upgrade(project.config(), "head")
    message = failure_text(caught.value)
    assert f"upgrade of revision bbb222 ({path}) failed: ProgrammingError: (1146," in message
    assert "failing statement: SELECT id FROM no_such_table" in message
    assert (
        "statements of bbb222 before the failing one were applied and are not rolled back "
        "(mysql cannot roll back DDL); version table (read back): aaa111"
    ) in message
    assert project.rows() == {"aaa111"}
    assert project.tables() == {"alembic_version", "t1", "t2"}  # MySQL cannot undo CREATE


def test_sqlite_transactional_ddl_false_is_alembics_behaviour(
    tmp_path: Path, sqlite_url: str
) -> None:
    project = Project(tmp_path, sqlite_url)
    failing(project)
    config = project.config(configure={"transactional_ddl": False})
    with pytest.raises(Exception) as caught:
        command.upgrade(config, "head")
    assert "version table (read back): aaa111" in failure_text(caught.value)
    # pysqlite's legacy transactions: the CREATE of the failing revision stays (ALEMBIC-FACTS §5)
    assert project.rows() == {"aaa111"}
    assert project.tables() == {"alembic_version", "t1", "t2"}


def test_sqlite_autocommit_engine_is_reported_non_transactional(
    tmp_path: Path, sqlite_url: str
) -> None:
    project = Project(tmp_path, sqlite_url)
    failing(project)
    engine = sa.create_engine(sqlite_url, isolation_level="AUTOCOMMIT")
    answers: list[bool] = []
    with engine.connect() as connection:
        config = project.config(
            connection=connection, hook=lambda ctx: answers.append(ctx.is_transactional_ddl())
        )
        with pytest.raises(Exception) as caught:
            command.upgrade(config, "head")
    engine.dispose()
    assert answers == [False]  # the engine asked for autocommit: nothing can roll back
    assert "version table (read back): aaa111" in failure_text(caught.value)
    assert project.tables() == {"alembic_version", "t1", "t2"}


SEES = """
url = op.get_bind().engine.url
other = sa.create_engine(url, poolclass=sa.pool.NullPool)
with other.connect() as connection:
    if sa.inspect(connection).has_table("alembic_version"):
        rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        kw["seen"].append(set(rows))
    else:
        kw["seen"].append(None)
other.dispose()
"""


@pytest.mark.parametrize("per_migration", [False, True])
def test_when_version_rows_become_visible(tmp_path: Path, db_url: str, per_migration: bool) -> None:
    project = Project(tmp_path, db_url)
    project.add("aaa111", None, "one", CREATE.format("t1"))
    project.add("bbb222", "aaa111", "two", SEES)
    seen: list[Any] = []
    config = project.config(
        configure={"transaction_per_migration": per_migration}, run_args={"seen": seen}
    )
    command.upgrade(config, "head")
    one_transaction = not per_migration and not db_url.startswith("mysql")
    # one transaction for the run: another connection sees nothing until the end;
    # otherwise (MySQL always) each revision's version row is committed right after it
    assert seen == ([None] if one_transaction else [{"aaa111"}])
    assert project.rows() == {"bbb222"}


def test_env_py_without_begin_transaction_still_commits(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    project.add("aaa111", None, "one", CREATE.format("t1"))
    (project.folder / "env.py").write_text(
        "import sqlalchemy as sa\n"
        "from distill import context\n"
        "engine = sa.create_engine(context.config.get_main_option('sqlalchemy.url'))\n"
        "with engine.connect() as connection:\n"
        "    context.configure(connection=connection)\n"
        "    context.run_migrations()\n"
        "engine.dispose()\n"
    )
    command.upgrade(project.config(), "head")
    assert project.rows() == {"aaa111"}
    assert "t1" in project.tables()


AUTOCOMMIT = """
op.execute("CREATE TABLE t1 (id INTEGER)")
with op.get_context().autocommit_block():
    op.execute("VACUUM")  # refused inside a transaction by SQLite and PostgreSQL
op.execute("CREATE TABLE t2 (id INTEGER)")
"""


@pytest.mark.parametrize("url_fixture", ["sqlite_url", "pg_url"])
def test_autocommit_block_runs_outside_the_transaction(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    project = Project(tmp_path, request.getfixturevalue(url_fixture))
    project.add("aaa111", None, "vacuum", AUTOCOMMIT)
    command.upgrade(project.config(), "head")
    assert project.rows() == {"aaa111"}
    assert project.tables() == {"alembic_version", "t1", "t2"}


def test_failure_after_an_autocommit_block_says_what_was_committed(
    tmp_path: Path, db_url: str
) -> None:
    project = Project(tmp_path, db_url)
    project.add(
        "aaa111",
        None,
        "half committed",
        """
        op.execute("CREATE TABLE t1 (id INTEGER)")
        op.execute("INSERT INTO t1 (id) VALUES (1)")
        with op.get_context().autocommit_block():
            op.execute("INSERT INTO t1 (id) VALUES (2)")
        op.execute("INSERT INTO t1 (id) VALUES (3)")
        op.execute("SELECT * FROM nope")
        """,
    )
    with pytest.raises(Exception) as caught:
        command.upgrade(project.config(), "head")
    if not db_url.startswith("mysql"):
        assert "the part of aaa111 that ran in an autocommit block was committed" in failure_text(
            caught.value
        )
    # the block committed what came before it and itself; what came after is rolled back,
    # except on MySQL/MariaDB, where each completed operation is committed with its resume
    # record (runtime/resume.py): the re-run resumes after it instead of doubling it
    assert project.rows() == set()
    engine = project.engine()
    kept = [1, 2, 3] if db_url.startswith("mysql") else [1, 2]
    with engine.connect() as connection:
        assert sorted(connection.execute(sa.text("SELECT id FROM t1")).scalars()) == kept


OUT_OF_LOCKS = """
op.execute(
    "DO $$ BEGIN RAISE EXCEPTION 'out of shared memory' USING ERRCODE = '53200', "
    "HINT = 'You might need to increase max_locks_per_transaction.'; END $$"
)
"""


def test_postgresql_lock_exhaustion_tells_how_to_fix_it(tmp_path: Path, pg_url: str) -> None:
    # A real server error with the SQLSTATE and hint of lock-table exhaustion; exhausting
    # the shared lock table for real would disturb every other test on the server.
    project = Project(tmp_path, pg_url)
    project.add("aaa111", None, "many locks", OUT_OF_LOCKS)
    with pytest.raises(Exception) as caught:
        command.upgrade(project.config(configure={"transaction_per_migration": False}), "head")
    assert is_lock_exhaustion(caught.value)  # the database's own error, as under Alembic
    message = failure_text(caught.value)
    assert "out of shared memory" in message
    assert "remove `transaction_per_migration=False` from env.py's" in message
    assert "raise max_locks_per_transaction" in message

    with pytest.raises(Exception) as caught:
        command.upgrade(project.config(), "head")  # one transaction per revision
    assert "transaction_per_migration" not in failure_text(caught.value)
    assert "raise max_locks_per_transaction" in failure_text(caught.value)


def test_other_errors_are_not_lock_exhaustion(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError) as caught:
        connection.exec_driver_sql("SELECT * FROM nope")
    engine.dispose()
    assert not is_lock_exhaustion(caught.value)
    assert not is_lock_exhaustion(ValueError("max_locks_per_transaction"))


def test_shared_connection_in_callers_transaction(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    project.add("aaa111", None, "one", CREATE.format("t1"))
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        driver = connection.connection.driver_connection
        level = getattr(driver, "isolation_level", None)
        command.upgrade(project.config(connection=connection), "head")
        # the caller's connection still works, inside the caller's transaction
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [
            ("aaa111",)
        ]
        assert getattr(driver, "isolation_level", None) == level  # handed back as it came
        connection.execute(sa.text("INSERT INTO t1 (id) VALUES (7)"))
    engine.dispose()
    assert project.rows() == {"aaa111"}
    engine = project.engine()
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT id FROM t1")).scalars().all() == [7]


@pytest.mark.parametrize("url_fixture", ["sqlite_url", "pg_url"])
def test_shared_connection_failure_rolls_back_with_the_caller(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(url_fixture)
    project = Project(tmp_path, url)
    failing(project)
    engine = sa.create_engine(url)
    with pytest.raises(Exception) as caught, engine.begin() as connection:
        command.upgrade(project.config(connection=connection), "head")
    engine.dispose()
    assert "the transaction the caller passed in" in failure_text(caught.value)
    assert project.tables() == set()  # SQLite too: its DDL ran inside a real BEGIN


def test_shared_connection_not_in_a_transaction(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    project.add("aaa111", None, "one", CREATE.format("t1"))
    project.add("bbb222", "aaa111", "two", CREATE.format("t2"))
    engine = sa.create_engine(db_url)
    with engine.connect() as connection:
        command.upgrade(project.config(connection=connection), "aaa111")
        assert not connection.in_transaction()  # committed by the run, nothing left open
        command.upgrade(project.config(connection=connection), "head")
        assert connection.execute(sa.text("SELECT 1")).scalar() == 1
    engine.dispose()
    assert project.rows() == {"bbb222"}


def test_hand_built_plan_runs_kwargs_through(tmp_path: Path, sqlite_url: str) -> None:
    project = Project(tmp_path, sqlite_url)
    project.add("aaa111", None, "one", 'kw["calls"].append(("up", sorted(kw)))')
    calls: list[Any] = []
    project.run([up("aaa111")], config=project.config(run_args={"calls": calls, "x": 1}))
    assert calls == [("up", ["calls", "x"])]
    assert project.rows() == {"aaa111"}


def test_long_failing_statement_is_truncated(tmp_path: Path, sqlite_url: str) -> None:
    project = Project(tmp_path, sqlite_url)
    columns = ", ".join(f"column_number_{n}" for n in range(100))
    project.add("aaa111", None, "long", f'op.execute("SELECT {columns} FROM nope")')
    with pytest.raises(Exception) as caught:
        command.upgrade(project.config(), "head")
    statement = (
        failure_text(caught.value).split("failing statement: ")[1].split(". Database state")[0]
    )
    assert statement.startswith("SELECT column_number_0, column_number_1")
    assert statement.endswith("...")
    assert len(statement) == 300


def test_context_execute_online(tmp_path: Path, db_url: str) -> None:
    project = Project(tmp_path, db_url)
    project.add("aaa111", None, "one", CREATE.format("t1"))
    config = project.config(hook=lambda ctx: ctx.execute("CREATE TABLE from_env (id INTEGER)"))
    command.upgrade(config, "head")
    assert project.tables() == {"alembic_version", "from_env", "t1"}
    assert project.rows() == {"aaa111"}
