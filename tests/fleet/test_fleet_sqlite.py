"""`distill fleet` on SQLite tenant files, through the real command line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from support.cli_project import distill
from support.fleet_project import fleet_project, write_targets

CRASH_IN_F3 = (
    'if "boom.db" in str(op.get_bind().engine.url):\n'
    "        import os\n"
    "        os._exit(3)\n"
    '    op.create_table("t3", sa.Column("id", sa.Integer, primary_key=True))'
)


def _tenants(project: Path, count: int, broken: str | None = None) -> list[str]:
    """`count` tenant files; `broken` already has table t2, so revision f2 fails there."""
    lines = []
    for number in range(count):
        name = f"tenant{number:02d}"
        lines.append(f"{name} sqlite:///{project / (name + '.db')}")
    if broken is not None:
        path = project / f"{broken}.db"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE t2 (id INTEGER)")
        lines.insert(len(lines) // 2, f"{broken} sqlite:///{path}")
    return lines


def _version(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE name = 'alembic_version'")
        if not tables.fetchall():
            return []
        return [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]


def test_fifty_files_one_broken_summary_names_it_and_the_rest_reach_head(
    tmp_path: Path,
) -> None:
    project = fleet_project(tmp_path)
    targets = write_targets(project, _tenants(project, 50, broken="acme"))
    result = distill(project, "fleet", "upgrade", "head", "--targets", str(targets), "--keep-going")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[:-1]}
    assert "failed" in lines["acme"] and "t2" in lines["acme"], lines["acme"]
    # one transaction per revision: f1 stays, the failing f2 rolled back (read back)
    assert "base -> f1" in lines["acme"]
    assert result.stdout.splitlines()[-1].startswith("51 target(s): 50 ok, 1 failed")
    for number in range(50):
        assert _version(project / f"tenant{number:02d}.db") == ["f3"]
    assert _version(project / "acme.db") == ["f1"]
    assert "50 done, 1 failed, 0 remaining" in result.stderr  # the progress line

    current = distill(project, "fleet", "current", "--targets", str(targets), "--format", "json")
    assert current.returncode == 0, current.stderr
    document = json.loads(current.stdout)
    states = {entry["name"]: entry["state"] for entry in document["targets"]}
    assert states.pop("acme") == "behind"
    assert set(states.values()) == {"at head"}
    text = distill(project, "fleet", "current", "--targets", str(targets)).stdout
    assert "at f3: 50" in text and "at f1: 1" in text and "behind: acme" in text


def test_stops_at_the_first_failure_without_keep_going(tmp_path: Path) -> None:
    project = fleet_project(tmp_path)
    lines = _tenants(project, 4, broken="acme")
    lines.insert(0, lines.pop(lines.index(next(line for line in lines if "acme" in line))))
    targets = write_targets(project, lines)
    result = distill(project, "fleet", "upgrade", "head", "--targets", str(targets), "--jobs", "1")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith("5 target(s): 1 failed, 4 not run")
    assert not (project / "tenant00.db").exists()


def test_canary_failure_stops_before_the_rest(tmp_path: Path) -> None:
    project = fleet_project(tmp_path)
    lines = _tenants(project, 6, broken="acme")
    lines.remove(next(line for line in lines if "acme" in line))
    lines.insert(1, f"acme sqlite:///{project / 'acme.db'}")
    targets = write_targets(project, lines)
    result = distill(
        project, "fleet", "upgrade", "head", "--targets", str(targets),
        "--canary", "2", "--keep-going", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 1
    document = json.loads(result.stdout)
    outcomes = {entry["name"]: entry["outcome"] for entry in document["targets"]}
    assert outcomes == {
        "tenant00": "ok", "acme": "failed", "tenant01": "not run", "tenant02": "not run",
        "tenant03": "not run", "tenant04": "not run", "tenant05": "not run",
    }  # fmt: skip
    assert document["totals"]["not_run"] == 5 and document["succeeded"] is False


def test_a_crashing_target_is_reported_and_the_others_finish(tmp_path: Path) -> None:
    project = fleet_project(tmp_path, third=CRASH_IN_F3)
    lines = _tenants(project, 4)
    lines.insert(2, f"crashy sqlite:///{project / 'boom.db'}")
    targets = write_targets(project, lines)
    result = distill(project, "fleet", "upgrade", "head", "--targets", str(targets), "--keep-going")
    assert result.returncode == 1
    crashed = next(line for line in result.stdout.splitlines() if line.startswith("crashy"))
    assert "crashed: process exited with code 3 before reporting" in crashed
    for number in range(4):
        assert _version(project / f"tenant{number:02d}.db") == ["f3"]
    assert _version(project / "boom.db") == ["f2"]  # f1 and f2 committed before f3 crashed


def test_downgrade_and_relative_targets(tmp_path: Path) -> None:
    project = fleet_project(tmp_path)
    targets = write_targets(project, _tenants(project, 3))
    assert distill(project, "fleet", "upgrade", "f2", "--targets", str(targets)).returncode == 0
    result = distill(project, "fleet", "downgrade", "-1", "--targets", str(targets))
    assert result.returncode == 0, result.stdout + result.stderr
    assert all("f2 -> f1" in line for line in result.stdout.splitlines()[:-1])
    result = distill(project, "fleet", "upgrade", "+2", "--targets", str(targets))
    assert result.returncode == 0
    assert _version(project / "tenant01.db") == ["f3"]


def test_an_unknown_revision_is_refused_before_any_target_runs(tmp_path: Path) -> None:
    project = fleet_project(tmp_path)
    targets = write_targets(project, _tenants(project, 2))
    result = distill(project, "fleet", "upgrade", "nope", "--targets", str(targets))
    assert result.returncode == 255
    assert result.stderr.startswith("FAILED: ") and "nope" in result.stderr
    assert not (project / "tenant00.db").exists()


def test_fleet_check_reports_the_targets_that_differ_from_the_models(tmp_path: Path) -> None:
    project = fleet_project(tmp_path)
    env = project / "migrations" / "env.py"
    env.write_text(
        env.read_text()
        .replace(
            "target_metadata = None",
            "target_metadata = sa.MetaData()\n"
            "for _n in (1, 2, 3):\n"
            "    sa.Table(f't{_n}', target_metadata,"
            " sa.Column('id', sa.Integer, primary_key=True))",
        )
        .replace(
            "from distill import context", "from distill import context\nimport sqlalchemy as sa"
        )
    )
    targets = write_targets(project, _tenants(project, 3))
    distill(project, "fleet", "upgrade", "head", "--targets", str(targets))
    distill(project, "-x", "x=1", "upgrade", "head")  # nothing: only the targets matter
    with sqlite3.connect(project / "tenant01.db") as connection:
        connection.execute("CREATE TABLE stray (id INTEGER)")
    result = distill(project, "fleet", "check", "--targets", str(targets))
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("tenant01"))
    assert "differs: 1 difference(s)" in line
    assert "stray" in result.stdout
    assert "2 ok, 1 differs" in result.stdout.splitlines()[-1]


def test_a_hanging_target_is_killed_at_the_timeout(tmp_path: Path) -> None:
    hang = (
        'if "hang.db" in str(op.get_bind().engine.url):\n'
        "        import time\n"
        "        time.sleep(120)\n"
        '    op.create_table("t3", sa.Column("id", sa.Integer, primary_key=True))'
    )
    project = fleet_project(tmp_path, third=hang)
    lines = [*_tenants(project, 2), f"hangs sqlite:///{project / 'hang.db'}"]
    targets = write_targets(project, lines)
    result = distill(
        project, "fleet", "upgrade", "head", "--targets", str(targets), "--timeout", "8",
        "--keep-going", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 1
    entries = {entry["name"]: entry for entry in json.loads(result.stdout)["targets"]}
    assert entries["hangs"]["outcome"] == "crashed"
    assert entries["hangs"]["error"] == "timed out after 8s and was killed"
    assert entries["tenant00"]["outcome"] == entries["tenant01"]["outcome"] == "ok"


def test_fleet_verify_names_the_targets_whose_applied_files_changed(tmp_path: Path) -> None:
    project = fleet_project(tmp_path)
    targets = write_targets(project, _tenants(project, 4))
    assert distill(project, "fleet", "upgrade", "f2", "--targets", str(targets)).returncode == 0
    # only tenant03 moves on to f3, whose file is then edited
    one = project / "one.txt"
    one.write_text(f"tenant03 sqlite:///{project / 'tenant03.db'}\n")
    assert distill(project, "fleet", "upgrade", "head", "--targets", str(one)).returncode == 0
    clean = distill(project, "fleet", "verify", "--targets", str(targets))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.splitlines()[-1].startswith("4 target(s): 4 ok")

    f3 = next((project / "migrations" / "versions").glob("f3*.py"))
    f3.write_text(f3.read_text().replace('"t3"', '"t3_renamed"', 1))
    result = distill(project, "fleet", "verify", "--targets", str(targets), "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    document = json.loads(result.stdout)
    by_name = {entry["name"]: entry for entry in document["targets"]}
    assert by_name["tenant03"]["outcome"] == "edited"
    assert "f3" in by_name["tenant03"]["verify"][0] and "edited" in by_name["tenant03"]["verify"][0]
    assert all(by_name[f"tenant0{n}"]["outcome"] == "ok" for n in range(3))
    assert document["totals"]["edited"] == 1 and document["succeeded"] is False

    text = distill(project, "fleet", "verify", "--targets", str(targets))
    line = next(line for line in text.stdout.splitlines() if line.startswith("tenant03"))
    assert "edited: 1 applied revision(s) edited or deleted" in line
    assert text.stdout.splitlines()[-1].startswith("4 target(s): 3 ok, 1 edited")


def test_fleet_verify_on_databases_alembic_migrated_says_they_will_be_adopted(
    tmp_path: Path,
) -> None:
    project = fleet_project(tmp_path)
    path = project / "plain.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('f1')")
        connection.execute("CREATE TABLE t1 (id INTEGER PRIMARY KEY)")
    targets = write_targets(project, [f"plain sqlite:///{path}"])
    result = distill(project, "fleet", "verify", "--targets", str(targets))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no distill_log: migrated without distill" in result.stdout
