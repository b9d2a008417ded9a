"""The deploy lock on real SQLite, PostgreSQL and MariaDB: concurrent `distill upgrade
head` processes, a lock timeout naming the holder, a holder killed with SIGKILL."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from distill.config import Config
from distill.dialects import impl_class_for
from distill.dialects.deploy_lock import DeployLock
from distill.runtime.deploy_lock import DeployLockTimeout, Locking
from tests.conftest import DatabaseFactory
from tests.support.cli_project import assert_one_line_failure, distill, tables, versions
from tests.support.lock_project import (
    HEAD,
    finish,
    lock_project,
    point_at,
    runs,
    start,
    wait_for_run,
)

PROCESSES = 8
# 20 rounds on SQLite; fewer on the servers keeps the suite's time in bounds (each round
# starts eight interpreters); DISTILL_TEST_LOCK_ROUNDS runs more everywhere. The inner
# loop (--quick) runs QUICK_ROUNDS.
ROUNDS = {"sqlite": 20, "postgresql": 3, "mysql": 3}
QUICK_ROUNDS = 2

# what each database's lock says about its holder
HOLDER_WORDS = {
    "sqlite": "distill pid",
    "postgresql": "application_name 'distill pid",
    "mysql": "connection",
}


def _rounds(backend: str, quick: bool) -> int:
    default = QUICK_ROUNDS if quick else ROUNDS[backend]
    return int(os.environ.get("DISTILL_TEST_LOCK_ROUNDS", default))


def test_concurrent_upgrades_run_each_revision_once(
    backend: str, new_database: DatabaseFactory, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    project = lock_project(tmp_path, new_database(backend))
    for number in range(_rounds(backend, bool(pytestconfig.getoption("--quick")))):
        url = new_database(backend) if number else _url(project)
        point_at(project, url)
        mark = tmp_path / f"mark-{number}.txt"
        processes = [start(project, mark, "upgrade", "head", sleep=0.3) for _ in range(PROCESSES)]
        results = [finish(process) for process in processes]
        for code, output in results:
            assert code == 0, output
        assert Counter(runs(mark)) == {"a1": 1, "b2": 1, "c3": 1}, (number, runs(mark))
        assert versions(url) == [HEAD]
        idle = [output for _, output in results if "Already at head" in output]
        assert len(idle) == PROCESSES - 1, [output for _, output in results]


def test_lock_timeout_names_the_holder(backend: str, db_url: str, tmp_path: Path) -> None:
    project = lock_project(tmp_path, db_url)
    mark, gate = tmp_path / "mark.txt", tmp_path / "gate"
    holder = start(project, mark, "upgrade", "head", gate=gate)
    try:
        wait_for_run(mark, "b2")
        waiter = distill(project, "upgrade", "head", "--lock-timeout", "0.5")
        line = assert_one_line_failure(waiter, "Gave up waiting for the deploy lock", "after 0.5 s")
        assert HOLDER_WORDS[backend] in line
        if backend != "mysql":
            assert f"distill pid {holder.pid} " in line
        assert "--lock-timeout" in line
        assert waiter.returncode == 255
    finally:
        gate.touch()
        code, output = finish(holder)
    assert code == 0, output
    assert Counter(runs(mark)) == {"a1": 1, "b2": 1, "c3": 1}


def test_a_killed_holder_leaves_no_lock(backend: str, db_url: str, tmp_path: Path) -> None:
    project = lock_project(tmp_path, db_url)
    mark, gate = tmp_path / "mark.txt", tmp_path / "gate"
    holder = start(project, mark, "upgrade", "head", gate=gate)
    wait_for_run(mark, "b2")
    holder.send_signal(signal.SIGKILL)
    finish(holder)
    gate.touch()
    after = start(project, mark, "upgrade", "head", "--lock-timeout", "30")
    code, output = finish(after)
    assert code == 0, output
    assert "Waiting for the deploy lock" not in output
    assert versions(db_url) == [HEAD]
    assert runs(mark).count("b2") == 2  # the killed run's b2 never committed


def test_sql_scripts_take_no_lock(backend: str, db_url: str, tmp_path: Path) -> None:
    project = lock_project(tmp_path, db_url)
    with _held(db_url):
        code, output = finish(
            start(project, tmp_path / "mark.txt", "upgrade", "head", "--sql", "--lock-timeout", "0")
        )
    assert code == 0, output
    assert "CREATE TABLE t2" in output


def test_the_python_api_takes_the_lock(sqlite_url: str, tmp_path: Path) -> None:
    from distill import command

    project = lock_project(tmp_path, sqlite_url)
    config = Config(str(project / "distill.ini"))
    with _held(sqlite_url), pytest.raises(DeployLockTimeout, match="distill pid"):
        command.upgrade(config, "head", lock_timeout=0.2)
    assert tables(sqlite_url) == []


def test_stamp_waits_for_the_lock(sqlite_url: str, tmp_path: Path) -> None:
    project = lock_project(tmp_path, sqlite_url)
    with _held(sqlite_url):
        result = distill(project, "stamp", "head", "--lock-timeout", "0.2")
    assert_one_line_failure(result, "Gave up waiting for the deploy lock")
    result = distill(project, "stamp", "head")
    assert result.returncode == 0, result.stderr
    assert versions(sqlite_url) == [HEAD]


def test_multidb_locks_each_database(tmp_path: Path) -> None:
    result = distill(tmp_path, "init", "-t", "multidb", "migrations")
    assert result.returncode == 0, result.stderr
    second = tmp_path / "engine2.db"  # the template's second database
    with _held(f"sqlite:///{second}"):
        result = distill(tmp_path, "upgrade", "head", "--lock-timeout", "0.2")
    assert_one_line_failure(result, f"{second}.distill-lock")
    result = distill(tmp_path, "upgrade", "head")
    assert result.returncode == 0, result.stderr


def test_in_memory_sqlite_needs_no_lock() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        lock = impl_class_for(connection.dialect).deploy_lock(connection, "alembic_version")
    assert not lock.available
    assert lock.try_acquire()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "lock_timeout = 'soon': write a number of seconds, 0 or more"),
        ("-1", "lock_timeout = '-1': write a number of seconds, 0 or more"),
    ],
)
def test_bad_lock_timeout_in_the_config(text: str, message: str, tmp_path: Path) -> None:
    config = Config(str(tmp_path / "none.ini"))
    config.set_main_option("lock_timeout", text)
    with pytest.raises(Exception, match=message):
        Locking.of(config)


def test_lock_settings_from_the_config(tmp_path: Path) -> None:
    config = Config(str(tmp_path / "none.ini"))
    assert Locking.of(config) == Locking(lock_timeout=300.0, ddl_lock_timeout=None, retries=0)
    config.set_main_option("lock_timeout", "12.5")
    config.set_main_option("ddl_lock_timeout", "2")
    config.set_main_option("ddl_retries", "3")
    assert Locking.of(config) == Locking(lock_timeout=12.5, ddl_lock_timeout=2.0, retries=3)
    assert Locking.of(config, lock_timeout=1, retries=0).lock_timeout == 1
    assert Locking.of(config, lock_timeout=1, retries=0).retries == 0


def test_no_lock_runs_while_another_process_holds_the_lock(
    backend: str, db_url: str, tmp_path: Path
) -> None:
    project = lock_project(tmp_path, db_url)
    mark = tmp_path / "mark.txt"

    def run(*args: str) -> tuple[int, str]:
        return finish(start(project, mark, *args, "--lock-timeout", "0.2"))

    with _held(db_url):
        code, output = run("upgrade", "b2")
        assert code == 255 and "Gave up waiting for the deploy lock" in output, output
        for args in (("upgrade", "b2"), ("downgrade", "a1"), ("stamp", "b2")):
            code, output = run(*args, "--no-lock")
            assert code == 0, output
        ini = project / "distill.ini"
        text = ini.read_text()
        ini.write_text(text.replace("[distill]\n", "[distill]\ndeploy_lock = false\n", 1))
        code, output = run("upgrade", "head")
        assert code == 0, output
    assert versions(db_url) == [HEAD]
    assert Counter(runs(mark)) == {"a1": 1, "b2": 1, "c3": 1}


def test_deploy_lock_setting_from_the_config(tmp_path: Path) -> None:
    config = Config(str(tmp_path / "none.ini"))
    config.set_main_option("deploy_lock", "False")
    assert Locking.of(config).lock_timeout is None  # the run takes no deploy lock
    config.set_main_option("deploy_lock", "true")
    assert Locking.of(config).lock_timeout == 300.0
    config.set_main_option("deploy_lock", "off")
    with pytest.raises(Exception, match="deploy_lock = 'off' in the config: write true or false"):
        Locking.of(config)
    toml = tmp_path / "pyproject.toml"
    toml.write_text("[tool.distill]\nscript_location = 'migrations'\ndeploy_lock = false\n")
    assert Locking.of(Config(toml_file=str(toml))).lock_timeout is None


def test_bad_retries_on_the_command_line(sqlite_url: str, tmp_path: Path) -> None:
    project = lock_project(tmp_path, sqlite_url)
    result = distill(project, "upgrade", "head", "--retries", "-2")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def _url(project: Path) -> str:
    for line in (project / "distill.ini").read_text().splitlines():
        if line.startswith("sqlalchemy.url"):
            return line.split("=", 1)[1].strip()
    raise AssertionError("no sqlalchemy.url")


class _held:
    """The deploy lock of `url`'s database, held by this test process."""

    def __init__(self, url: str, name: str = "alembic_version") -> None:
        self.engine = sa.create_engine(url, poolclass=sa.NullPool)
        self.name = name
        self.lock: DeployLock | None = None

    def __enter__(self) -> DeployLock:
        with self.engine.connect() as connection:
            self.lock = impl_class_for(connection.dialect).deploy_lock(connection, self.name)
        assert self.lock.try_acquire()
        return self.lock

    def __exit__(self, *exc_info: object) -> None:
        assert self.lock is not None
        self.lock.release()
        self.engine.dispose()
