"""The applied-revision log beside real Alembic: a database Alembic migrated is adopted by
distill, and Alembic keeps working on a database distill migrated (distill_log in it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from support.alembic_projects import Rev, make_project, run, snapshot

from distill.runtime.checksums import checksum_of_file


def table(name: str, rev: str, parent: str | None) -> Rev:
    """A revision creating one table with a row in it."""
    return Rev(
        rev,
        (parent,) if parent else (),
        f"create {name}",
        upgrade=(
            f'op.create_table("{name}", sa.Column("id", sa.Integer(), primary_key=True))\n'
            f'op.execute("INSERT INTO {name} (id) VALUES (1)")'
        ),
        downgrade=f'op.drop_table("{name}")',
    )


REVS = [table("one", "a1000000", None), table("two", "b2000000", "a1000000")]
THIRD = table("three", "c3000000", "b2000000")


def log(project: Path) -> list[dict[str, Any]]:
    result = run("distill", project, "log", "--format", "json")
    return list(json.loads(result.stdout))


def revision_file(project: Path, rev: str) -> Path:
    return next((project / "migrations" / "versions").glob(f"{rev}_*.py"))


def has_log(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        return sa.inspect(engine).has_table("distill_log")
    finally:
        engine.dispose()


def test_a_database_alembic_migrated_is_adopted(tmp_path: Path, db_url: str) -> None:
    project = make_project(tmp_path / "p", db_url, REVS)
    run("alembic", project, "upgrade", "head")
    assert not has_log(db_url)
    said = run("distill", project, "verify").stdout
    assert "migrated without distill" in said and "adopts it" in said
    assert not has_log(db_url)  # verify only reads

    result = run("distill", project, "upgrade", "head")
    assert "Adopted this database" in result.stderr and "a1000000, b2000000" in result.stderr
    rows = log(project)
    assert [(r["revision"], r["action"]) for r in rows] == [
        ("b2000000", "adopt"),
        ("a1000000", "adopt"),
    ]
    for row in rows:
        assert row["checksum"] == checksum_of_file(revision_file(project, row["revision"]))
    assert "OK: 2" in run("distill", project, "verify").stdout
    again = run("distill", project, "upgrade", "head")
    assert "Adopted" not in again.stderr and len(log(project)) == 2

    # a revision Alembic applies later is recorded on distill's next run, and said so
    make_project(tmp_path / "q", db_url, [*REVS, THIRD])
    third = revision_file(tmp_path / "q", "c3000000")
    third.rename(project / "migrations" / "versions" / third.name)
    run("alembic", project, "upgrade", "head")
    noted = run("distill", project, "verify").stdout
    assert "c3000000" in noted and "no checksum recorded yet" in noted
    result = run("distill", project, "downgrade", "-1")
    assert "Recorded revisions applied without distill" in result.stderr
    assert [(r["revision"], r["direction"], r["action"]) for r in log(project)[:2]] == [
        ("c3000000", "downgrade", "run"),
        ("c3000000", "upgrade", "adopt"),
    ]


def test_alembic_runs_on_a_database_distill_migrated(
    tmp_path: Path, new_database: Any, backend: str
) -> None:
    distill_url, alembic_url = new_database(backend), new_database(backend)
    project = make_project(tmp_path / "p", distill_url, [*REVS, THIRD])
    run("distill", project, "upgrade", "head")
    assert has_log(distill_url)
    run("alembic", project, "downgrade", "-1")
    run("alembic", project, "upgrade", "head")
    assert run("alembic", project, "current").stdout.split()[0] == "c3000000"
    twin = make_project(tmp_path / "twin", alembic_url, [*REVS, THIRD])
    run("alembic", twin, "upgrade", "head")
    run("alembic", twin, "downgrade", "-1")
    run("alembic", twin, "upgrade", "head")
    assert snapshot(distill_url) == snapshot(alembic_url)


def test_an_alembic_edit_after_adoption_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    project = make_project(tmp_path / "p", sqlite_url, REVS)
    run("alembic", project, "upgrade", "a1000000")
    run("distill", project, "upgrade", "head")
    path = revision_file(project, "a1000000")
    path.write_text(path.read_text().replace('"one"', '"uno"'))
    result = run("distill", project, "downgrade", "base", check=False)
    assert result.returncode == 255
    assert "a1000000 edited" in result.stderr
    assert run("distill", project, "verify", check=False).returncode == 1
