"""The benchmark suite's own pieces: statistics, ordering, formatting, generated projects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable

# The suite lives beside the package, not in it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench
from bench.cases import Case, CaseDef, Participant, Target
from bench.catalogue import catalogue
from bench.cli import parse, select, settings_from
from bench.databases import PostgresDatabase, SqliteDatabase
from bench.ddl import compiled, create_elements, downgrade_elements, upgrade_elements
from bench.measure import FAILED, NOT_AVAILABLE, OK, Outcome, Spawner, summarize
from bench.projects import branched_steps, history_project, linear_steps
from bench.report import markdown
from bench.runner import RAN, SKIPPED, CaseResult, Launcher, round_order, run_case
from bench.schema import linear_tables, models_source
from bench.server import LOCKS_PER_TABLE, MAX_CONNECTIONS, OwnServer
from bench.workspace import Workspace, child_environment

PYTHON = Path(sys.executable)
ALEMBIC = PYTHON.parent / "alembic"
DISTILL = PYTHON.parent / "distill"


def test_summary_is_median_with_range() -> None:
    summary = summarize([3.0, 1.0, 2.0, 10.0])
    assert (summary.median, summary.low, summary.high) == (2.5, 1.0, 10.0)
    with pytest.raises(ValueError):
        summarize([])


def _participant(name: str, floor: bool = False, code: str = "pass") -> Participant:
    return Participant(name, (str(PYTHON), "-c", code), Path.cwd(), floor=floor)


def test_default_sizes_and_cases_follow_the_issue(tmp_path: Path) -> None:
    options = parse([])
    settings = settings_from(options)
    assert (settings.revisions, settings.large, settings.tables) == (1000, 5000, (100, 500, 1000))
    ids = [case.id for case in catalogue(settings, Workspace(tmp_path, PYTHON))]
    for expected in (
        "help",
        "heads-1000",
        "heads-5000",
        "current-sqlite-1000",
        "upgrade-at-head-sqlite-1000",
        "upgrade-sqlite-1000",
        "upgrade-postgresql-1000",
        "downgrade-sqlite-1000",
        "downgrade-postgresql-1000",
        "upgrade-sql-postgresql-1000",
        "autogenerate-noop-postgresql-1000",
        "autogenerate-empty-sqlite-100",
        "fleet-sqlite-200x20",
    ):
        assert expected in ids
    assert len(ids) == len(set(ids))
    chosen = select(catalogue(settings, Workspace(tmp_path, PYTHON)), "heads-*, help")
    assert [case.id for case in chosen] == ["help", "heads-1000", "heads-5000"]
    assert list(tmp_path.iterdir()) == []  # nothing is generated before a case runs


def test_tools_alternate_every_round_and_floors_rotate_after_them() -> None:
    people = [
        _participant("Alembic"),
        _participant("distill"),
        _participant("DBAPI", True),
        _participant("SQLAlchemy", True),
    ]
    orders = [[p.name for p in round_order(people, number)] for number in range(3)]
    assert orders == [
        ["Alembic", "distill", "DBAPI", "SQLAlchemy"],
        ["distill", "Alembic", "SQLAlchemy", "DBAPI"],
        ["Alembic", "distill", "DBAPI", "SQLAlchemy"],
    ]


def test_target_reads_like_the_issue_and_checks_every_bound() -> None:
    target = Target(0.5, (("DBAPI", 1.3),))
    assert target.describe() == "≤ 0.5 and ≤ 1.3\u00d7 DBAPI"
    assert target.met({"Alembic": 0.4, "DBAPI": 1.2}) is True
    assert target.met({"Alembic": 0.4, "DBAPI": 1.4}) is False
    assert target.met({"Alembic": 0.4}) is None


def _result(case_id: str, samples: dict[str, list[float]], floors: set[str]) -> CaseResult:
    definition = CaseDef(case_id, f"`{case_id}`", lambda: Case([]), target=Target(0.5))
    outcomes = []
    for name, values in samples.items():
        outcome = Outcome(name, name in floors, seconds=values, peak_rss_kib=[51200] * len(values))
        outcomes.append(outcome)
    return CaseResult(definition, RAN, "", outcomes)


def test_markdown_rows_show_ratios_floors_targets_memory_and_notes() -> None:
    ran = _result("heads", {"Alembic": [2.0, 1.0, 3.0], "distill": [0.5, 0.4, 0.6]}, set())
    ran.outcomes.append(Outcome("reading every file", True, seconds=[0.1], peak_rss_kib=[9000]))
    refused = _result("autogenerate", {"Alembic": [6.0]}, set())
    refused.outcomes.append(Outcome("distill", False, NOT_AVAILABLE, "exit 255: not yet"))
    skipped = CaseResult(
        CaseDef("downgrade", "`downgrade`", lambda: Case([])), SKIPPED, "no server"
    )
    meta: dict[str, object] = {
        "date": "today",
        "commit": "abc1234",
        "repeat": 3,
        "command": "bin/bench",
        "machine": dict.fromkeys(
            (
                "cpu",
                "cores",
                "os",
                "python",
                "sqlite",
                "postgresql",
                "sqlalchemy",
                "alembic",
                "distill",
            ),
            "x",
        ),
    }
    text = markdown([ran, refused, skipped], meta)
    rows = {line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| `")}
    assert "2.000 s (1.000\u20133.000)" in rows["| `heads`"]
    assert "| 0.25 |" in rows["| `heads`"]
    assert "reading every file 0.100 s" in rows["| `heads`"]
    assert "5.00\u00d7 reading every file" in rows["| `heads`"]
    assert "≤ 0.5 (met)" in rows["| `heads`"]
    assert "50 / 50 MiB" in rows["| `heads`"]
    assert "not available [1]" in rows["| `autogenerate`"]
    assert "skipped [2]" in rows["| `downgrade`"]
    assert "[1] distill: not available: exit 255: not yet" in text
    assert "[2] skipped: no server" in text
    assert "distill ≤ Alembic in 1 of 1" in text


def test_a_case_reports_failures_and_refusals_and_keeps_the_others(tmp_path: Path) -> None:
    refusal = "import sys; print('FAILED: --autogenerate is not available'); sys.exit(255)"
    participants = [
        _participant("Alembic", code="import sys; sys.exit(3)"),
        _participant("distill", code=refusal),
        _participant("bare Python", True),
    ]
    definition = CaseDef("probe", "probe", lambda: Case(participants))
    spawner = Spawner(PYTHON, tmp_path)
    try:
        result = run_case(definition, 2, Launcher(spawner, child_environment(), 60))
    finally:
        spawner.close()
    outcomes = {outcome.name: outcome for outcome in result.outcomes}
    assert outcomes["Alembic"].status == FAILED
    assert outcomes["Alembic"].message.startswith("exit 3")
    assert outcomes["distill"].status == NOT_AVAILABLE
    assert outcomes["bare Python"].status == OK
    assert len(outcomes["bare Python"].seconds) == 2
    assert min(outcomes["bare Python"].peak_rss_kib) > 0


def test_spawner_passes_output_and_stops_at_the_timeout(tmp_path: Path) -> None:
    spawner = Spawner(PYTHON, tmp_path)
    try:
        hello = spawner.run(
            [str(PYTHON), "-c", "print('hello')"], tmp_path, child_environment(), 60
        )
        stuck = spawner.run(
            [str(PYTHON), "-c", "import time; time.sleep(60)"], tmp_path, child_environment(), 0.5
        )
    finally:
        spawner.close()
    assert (hello.returncode, hello.stdout) == (0, "hello\n")
    assert stuck.returncode == -9


def test_models_source_declares_the_tables_the_floors_build() -> None:
    specs = linear_tables(12)
    namespace: dict[str, object] = {}
    exec(models_source(specs), namespace)
    metadata = namespace["metadata"]
    assert isinstance(metadata, sa.MetaData)
    declared: list[sa.Executable] = []
    for table in metadata.sorted_tables:
        declared.append(CreateTable(table))
        declared += [CreateIndex(index) for index in table.indexes]
    for url in ("sqlite://", "postgresql+psycopg://"):
        assert compiled(declared, url) == compiled(create_elements(specs), url)


def test_branched_history_forks_merges_and_ends_in_one_head() -> None:
    steps = branched_steps(30)
    assert len(steps) == 30
    parents = {parent for step in steps for parent in step.down}
    assert [step.revision for step in steps if step.revision not in parents] == [steps[-1].revision]
    merges = [step for step in steps if len(step.down) > 1]
    assert merges and all(step.table is None for step in merges)
    created: dict[str, set[str]] = {}
    for step in steps:
        lineage = set().union(*(created[parent] for parent in step.down)) if step.down else set()
        if step.table is not None:
            assert set(step.table.parents) <= lineage
            lineage.add(step.table.name)
        created[step.revision] = lineage


def test_generated_project_runs_with_distill_and_matches_the_floors(tmp_path: Path) -> None:
    project = history_project(tmp_path / "project", linear_steps(5), ALEMBIC)
    (tmp_path / "tool").mkdir()
    (tmp_path / "bare").mkdir()
    tool, bare = SqliteDatabase(tmp_path / "tool"), SqliteDatabase(tmp_path / "bare")
    project.set_url(tool.url)
    drops = tmp_path / "downgrade.json"
    drops.write_text(json.dumps(compiled(downgrade_elements(project.steps), bare.url)))
    floors = str(Path(bench.__file__).with_name("floors.py"))
    commands = [
        (project.folder, str(DISTILL), "upgrade", "head"),
        (tmp_path, str(PYTHON), floors, "sqlalchemy", bare.url, "upgrade", "5"),
        (project.folder, str(DISTILL), "downgrade", "base"),
        (tmp_path, str(PYTHON), floors, "dbapi", bare.driver, bare.target, str(drops)),
    ]
    spawner = Spawner(PYTHON, tmp_path)
    launcher = Launcher(spawner, child_environment(), 120)
    try:
        runs = []
        for folder, *argv in commands:
            runs.append(launcher.run(Participant(argv[0], tuple(argv), folder)))
            assert runs[-1].returncode == 0, runs[-1].stderr
            if len(runs) == 2:
                assert tool.versions() == bare.versions() == [project.head]
                assert _schema(tool.url) == _schema(bare.url)
                assert len(_schema(tool.url)) == 6
    finally:
        spawner.close()
    assert tool.versions() == bare.versions() == []
    assert tool.tables() == bare.tables() == ["alembic_version"]


def test_per_revision_and_env_start_floors(tmp_path: Path) -> None:
    """The DBAPI floor that commits after each revision ends where the one-transaction floor
    does, committing as it goes; the env.py start-up floor reads the version table."""
    steps = linear_steps(3)
    database = SqliteDatabase(tmp_path)
    script = tmp_path / "upgrade.json"
    statements = compiled(upgrade_elements(steps), database.url)
    script.write_text(json.dumps(statements))
    floors = str(Path(bench.__file__).with_name("floors.py"))
    trace = tmp_path / "trace.txt"
    # count the commits through SQLite's own statement trace, in the floor's own process
    traced = (
        "import runpy, sqlite3, sys\n"
        "connect = sqlite3.connect\n"
        "def traced(*args, **kw):\n"
        "    connection = connect(*args, **kw)\n"
        f"    log = open({str(trace)!r}, 'a')\n"
        "    connection.set_trace_callback(lambda sql: log.write(sql.split()[0] + '\\n'))\n"
        "    return connection\n"
        "sqlite3.connect = traced\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    argv = [floors, "dbapi-per-revision", database.driver, database.target, str(script)]
    subprocess.run([str(PYTHON), "-c", traced, *argv], check=True, timeout=120)
    assert trace.read_text().split().count("COMMIT") == len(steps)
    assert database.versions() == [steps[-1].revision]
    found = subprocess.run(
        [str(PYTHON), floors, "env-start", database.url],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert found.stdout.split() == [steps[-1].revision]


def _schema(url: str) -> dict[str, tuple[object, ...]]:
    """Tables with their columns, foreign keys, unique constraints and indexes."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {
            name: (
                [column["name"] for column in inspector.get_columns(name)],
                sorted(str(fk["name"]) for fk in inspector.get_foreign_keys(name)),
                sorted(str(uq["name"]) for uq in inspector.get_unique_constraints(name)),
                sorted(str(ix["name"]) for ix in inspector.get_indexes(name)),
            )
            for name in inspector.get_table_names()
            if not name.startswith("distill_")  # distill's own log is not the project's
        }
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_templates_restore_and_are_dropped(pg_url: str) -> None:
    db = PostgresDatabase(pg_url)
    steps = linear_steps(3)
    try:
        db.build_template("head", compiled(upgrade_elements(steps), db.url))
        db.restore("head")
        assert db.versions() == [steps[-1].revision]
        assert len(db.tables()) == 4
        db.empty()
        assert db.tables() == []
    finally:
        db.close()
    engine = sa.create_engine(pg_url)
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %(prefix)s)",
            {"prefix": db.prefix},
        ).all()
    engine.dispose()
    assert found == []


def test_own_server_starts_with_room_for_long_transactions_and_goes_away() -> None:
    server = OwnServer(tables=1000)
    try:
        server.start()
        db = PostgresDatabase(server.url)
        assert int(db.server_setting("max_locks_per_transaction")) == server.max_locks
        assert server.max_locks * MAX_CONNECTIONS >= 1000 * LOCKS_PER_TABLE
        db.close()
    finally:
        server.stop()
    assert not server.folder.exists()
