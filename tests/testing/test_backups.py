"""Backups before upgrade/downgrade, `restore`, and the pre-migrate command (real CLI runs)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from support.cli_project import (
    assert_one_line_failure,
    distill,
    new_project,
    ok,
    tables,
    versions,
    write_revision,
)
from support.history_project import history_project


def dump(path: Path) -> list[str]:
    """Every statement that rebuilds the database file, schema and rows."""
    with closing(sqlite3.connect(path)) as connection:
        return list(connection.iterdump())


def backups(project: Path) -> list[Path]:
    return sorted((project / ".distill-backups").glob("app.db.*.backup"))


def set_option(project: Path, line: str) -> None:
    """Add `line` to the main section ([distill]) of distill.ini."""
    ini = project / "distill.ini"
    text = ini.read_text()
    assert "[distill]\n" in text
    ini.write_text(text.replace("[distill]\n", f"[distill]\n{line}\n", 1))


def test_backup_then_restore_gives_back_the_identical_database(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    database = project / "app.db"
    ok(project, "upgrade", "a1")
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("INSERT INTO users (id, email) VALUES (1, 'a@example.com')")
        connection.commit()
    before = dump(database)

    result = distill(project, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    latest = backups(project)[-1]
    assert f"Backup of {database} written to {latest}" in result.stderr
    assert "written to" not in result.stdout  # stdout stays what Alembic prints
    assert dump(latest) == before
    after_upgrade = dump(database)

    out = ok(project, "restore")
    assert dump(database) == before
    assert versions(f"sqlite:///{database}") == ["a1"]
    kept = sorted((project / ".distill-backups").glob("app.db.*.replaced"))
    assert len(kept) == 1 and str(kept[0]) in out
    assert dump(kept[0]) == after_upgrade


def test_restore_of_a_named_backup(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    ok(project, "upgrade", "a1")
    ok(project, "upgrade", "b2")
    first, second = backups(project)
    ok(project, "restore", str(first))
    assert tables(f"sqlite:///{project / 'app.db'}") == []  # before a1: nothing yet
    ok(project, "restore", str(second))
    assert versions(f"sqlite:///{project / 'app.db'}") == ["a1"]


def test_no_backup_and_nothing_to_do_write_no_copy(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    result = distill(project, "upgrade", "head", "--no-backup")
    assert result.returncode == 0 and "Backup" not in result.stderr
    ok(project, "upgrade", "head")  # already at head: no steps, no copy
    assert backups(project) == []
    ok(project, "downgrade", "a1")
    assert len(backups(project)) == 1


def test_backups_can_be_switched_off_in_the_config(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    set_option(project, "backup = false")
    ok(project, "upgrade", "head")
    assert backups(project) == []


def test_old_backups_are_pruned_to_the_configured_count(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    for number in range(4):
        write_revision(project, f"r{number}", f"r{number - 1}" if number else None)
    set_option(project, "backup_keep = 2")
    for number in range(4):
        ok(project, "upgrade", f"r{number}")
    assert [path.name.split(".")[-2] for path in backups(project)] == ["r1", "r2"]


def test_restore_refuses_a_database_of_another_project(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    ok(project, "upgrade", "head")
    stranger = tmp_path / "stranger.db"
    with closing(sqlite3.connect(stranger)) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        connection.execute("INSERT INTO alembic_version VALUES ('zzz999')")
        connection.commit()
    before = dump(project / "app.db")
    result = distill(project, "restore", str(stranger))
    assert_one_line_failure(result, "zzz999", "not a database of this project")
    assert dump(project / "app.db") == before


def test_restore_without_a_backup_says_where_it_looked(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    ok(project, "upgrade", "head", "--no-backup")
    assert_one_line_failure(distill(project, "restore"), "no backup of", ".distill-backups")


def test_failing_pre_migrate_command_leaves_the_database_untouched(
    tmp_path: Path, pg_url: str
) -> None:
    project = history_project(tmp_path, pg_url)
    set_option(project, "backup_command = sh -c 'echo cannot reach the server >&2; exit 3'")
    result = distill(project, "upgrade", "head")
    line = assert_one_line_failure(result, "backup_command failed with exit code 3")
    assert "cannot reach the server" in line
    assert tables(pg_url) == []


def test_pre_migrate_command_runs_with_the_url_before_the_upgrade(
    tmp_path: Path, mysql_url: str
) -> None:
    project = history_project(tmp_path, mysql_url)
    set_option(project, "backup_dir = dumps")
    set_option(project, "backup_keep = 1")
    (project / "dumps").mkdir()
    set_option(project, "backup_command = sh -c 'echo \"$0\" > dumps/{timestamp}.txt' {url}")
    ok(project, "upgrade", "a1")
    ok(project, "upgrade", "b2")
    written = list((project / "dumps").iterdir())
    assert len(written) == 1  # pruned to backup_keep
    assert written[0].read_text().strip() == mysql_url
    assert versions(mysql_url) == ["b2"]
