"""The observer hook point: what a per-revision observer (the applied-revision log) sees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.runtime_project import Project

from distill.runtime.environment import EnvironmentContext
from distill.runtime.observers import RevisionObserver, RevisionRun
from distill.runtime.request import Migrate, RunRequest
from distill.scripts.directory import ScriptDirectory

CREATE = 'op.execute("CREATE TABLE {0} (id INTEGER)")'


class Recorder(RevisionObserver):
    """Records every call and writes a row per applied revision in the same transaction."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def revision_started(self, run: RevisionRun) -> None:
        self.calls.append(("started", run.direction, run.revision))

    def revision_applied(self, run: RevisionRun) -> None:
        self.calls.append(("applied", run.direction, run.revision))
        connection = run.connection
        connection.execute(sa.text("CREATE TABLE IF NOT EXISTS seen (rev VARCHAR(20))"))
        connection.execute(sa.text("INSERT INTO seen (rev) VALUES (:rev)"), {"rev": run.revision})

    def revision_committed(self, run: RevisionRun) -> None:
        self.calls.append(("committed", run.direction, run.revision))

    def revision_failed(
        self, run: RevisionRun, error: BaseException, statement: str | None
    ) -> None:
        self.calls.append(("failed", run.revision, type(error).__name__, statement, run.path))


def run(
    project: Project, direction: str, target: str, observer: Recorder, **configure: Any
) -> None:
    config = project.config(configure=configure)
    script = ScriptDirectory.from_config(config)
    request = RunRequest(action=Migrate(direction, target), observers=(observer,))  # type: ignore[arg-type]
    with EnvironmentContext(config, script, request=request):
        script.run_env()


def seen(project: Project) -> list[str]:
    with project.engine().connect() as connection:
        return list(connection.execute(sa.text("SELECT rev FROM seen ORDER BY rev")).scalars())


@pytest.mark.parametrize("url_fixture", ["sqlite_url", "pg_url"])
def test_observer_writes_commit_with_each_revision(
    tmp_path: Path, url_fixture: str, request: pytest.FixtureRequest
) -> None:
    project = Project(tmp_path, request.getfixturevalue(url_fixture))
    project.add("aaa111", None, "one", CREATE.format("t1"), 'op.execute("DROP TABLE t1")')
    path = project.add("bbb222", "aaa111", "two", 'op.execute("SELECT * FROM nope")')
    observer = Recorder()
    with pytest.raises(Exception, match="nope"):
        run(project, "upgrade", "head", observer, transaction_per_migration=True)
    failed = observer.calls[-1]
    assert observer.calls[:-1] == [
        ("started", "upgrade", "aaa111"),
        ("applied", "upgrade", "aaa111"),
        ("committed", "upgrade", "aaa111"),
        ("started", "upgrade", "bbb222"),
    ]
    assert failed[:3] == (
        "failed",
        "bbb222",
        "ProgrammingError" if "postgresql" in project.url else "OperationalError",
    )
    assert failed[3] == "SELECT * FROM nope"
    assert failed[4] == str(path)
    # the row written for aaa111 committed with it
    assert seen(project) == ["aaa111"]
    assert project.rows() == {"aaa111"}


def test_one_transaction_for_the_run_commits_at_the_end(tmp_path: Path, pg_url: str) -> None:
    project = Project(tmp_path, pg_url)
    project.add("aaa111", None, "one", CREATE.format("t1"), 'op.execute("DROP TABLE t1")')
    project.add("bbb222", "aaa111", "two", CREATE.format("t2"), 'op.execute("DROP TABLE t2")')
    observer = Recorder()
    run(project, "upgrade", "head", observer, transaction_per_migration=False)
    assert [call[0] for call in observer.calls] == [
        "started",
        "applied",
        "started",
        "applied",
        "committed",
        "committed",
    ]
    observer.calls.clear()
    run(project, "downgrade", "aaa111", observer, transaction_per_migration=False)
    assert observer.calls == [
        ("started", "downgrade", "bbb222"),
        ("applied", "downgrade", "bbb222"),
        ("committed", "downgrade", "bbb222"),
    ]
    assert seen(project) == ["aaa111", "bbb222", "bbb222"]


def test_offline_runs_tell_no_observer(tmp_path: Path, sqlite_url: str) -> None:
    project = Project(tmp_path, sqlite_url)
    project.add("aaa111", None, "one", CREATE.format("t1"))
    observer = Recorder()
    config = project.config()
    script = ScriptDirectory.from_config(config)
    request = RunRequest(action=Migrate("upgrade", "head"), observers=(observer,), as_sql=True)
    with EnvironmentContext(config, script, request=request):
        script.run_env()
    assert observer.calls == []


class RunHooks(Recorder):
    """Records the per-run hooks too."""

    def run_started(self, context: Any, heads: tuple[str, ...]) -> None:
        self.calls.append(("run_started", heads))

    def run_planned(self, context: Any, steps: Any) -> None:
        self.calls.append(("run_planned", tuple(step.revision for step in steps)))

    def run_finished(self, context: Any) -> None:
        self.calls.append(("run_finished",))


@pytest.mark.parametrize("per_migration", [True, False])
def test_run_hooks_frame_the_revisions(
    tmp_path: Path, sqlite_url: str, per_migration: bool
) -> None:
    project = Project(tmp_path, sqlite_url)
    project.add("aaa111", None, "one", CREATE.format("t1"))
    project.add("bbb222", "aaa111", "two", CREATE.format("t2"))
    observer = RunHooks()
    run(project, "upgrade", "head", observer, transaction_per_migration=per_migration)
    names = [call[0] for call in observer.calls]
    assert observer.calls[:2] == [("run_started", ()), ("run_planned", ("aaa111", "bbb222"))]
    assert names.index("run_finished") > names.index("applied")
    if per_migration:  # each revision committed before the run is over
        assert names[-1] == "run_finished" and names.count("committed") == 2
    else:  # env.py's transaction commits after run_migrations() returned
        assert names[-3:] == ["run_finished", "committed", "committed"]
    observer.calls.clear()
    run(project, "upgrade", "head", observer)
    assert observer.calls == [
        ("run_started", ("bbb222",)),
        ("run_planned", ()),
        ("run_finished",),
    ]
