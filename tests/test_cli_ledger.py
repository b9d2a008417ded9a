"""The applied-revision log through the real CLI: distill_log, verify, log, history -a,
--allow-edited and the read-back after a run, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from support.cli_project import (
    assert_one_line_failure,
    distill,
    new_project,
    ok,
    versions,
    write_revision,
)

from distill import __version__
from distill.runtime.checksums import checksum_of_file


def create(table: str) -> tuple[str, str]:
    """Revision bodies creating and dropping a one-column table."""
    return (
        f'op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True))',
        f'op.drop_table("{table}")',
    )


def three(tmp_path: Path, url: str) -> Path:
    """aaa111 -> bbb222 -> ccc333, each creating a table."""
    project = new_project(tmp_path, url)
    write_revision(project, "aaa111", None, *create("t_a"))
    write_revision(project, "bbb222", "aaa111", *create("t_b"))
    write_revision(project, "ccc333", "bbb222", *create("t_c"))
    return project


def path_of(project: Path, rev: str) -> Path:
    return project / "migrations" / "versions" / f"{rev}_x.py"


def log(project: Path, *args: str) -> list[dict[str, Any]]:
    """`distill log --format json`, parsed."""
    return list(json.loads(ok(project, "log", "--format", "json", *args)))


def all_tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_each_revision_is_logged_with_checksum_times_and_who(tmp_path: Path, db_url: str) -> None:
    project = three(tmp_path, db_url)
    ok(project, "upgrade", "head")
    assert "distill_log" in all_tables(db_url)
    rows = log(project)
    assert [(r["revision"], r["direction"], r["action"], r["outcome"]) for r in rows] == [
        ("ccc333", "upgrade", "run", "ok"),
        ("bbb222", "upgrade", "run", "ok"),
        ("aaa111", "upgrade", "run", "ok"),
    ]
    for row in rows:
        assert row["checksum"] == checksum_of_file(path_of(project, row["revision"]))
        assert row["os_user"] == getpass.getuser()
        assert row["host"] == socket.gethostname()
        assert row["distill_version"] == __version__
        assert row["started_at"] <= row["finished_at"]
        assert row["failing_statement"] is None and row["error"] is None
    ok(project, "downgrade", "-1")
    newest = log(project, "-n", "1")
    assert [(r["revision"], r["direction"], r["outcome"]) for r in newest] == [
        ("ccc333", "downgrade", "ok")
    ]
    text = ok(project, "log", "-n", "2").splitlines()
    assert len(text) == 2
    assert "downgrade" in text[0] and "ccc333" in text[0] and "ok" in text[0]
    assert "upgrade" in text[1] and "ccc333" in text[1]


def test_a_failed_revision_is_logged_with_its_statement(tmp_path: Path, db_url: str) -> None:
    project = new_project(tmp_path, db_url)
    write_revision(project, "aaa111", None, *create("t_a"))
    write_revision(project, "bbb222", "aaa111", 'op.execute("SELECT * FROM no_such_table")', "pass")
    result = distill(project, "upgrade", "head")
    assert_one_line_failure(result, "bbb222", "no_such_table")
    rows = log(project)
    failed = rows[0]
    assert (failed["revision"], failed["direction"], failed["outcome"]) == (
        "bbb222",
        "upgrade",
        "failed",
    )
    assert "no_such_table" in failed["failing_statement"]
    assert failed["error"] and "no_such_table" in failed["error"]
    assert failed["checksum"] == checksum_of_file(path_of(project, "bbb222"))
    # what the log holds as applied is what the version table holds, whatever the
    # database's transactions kept of the earlier revision
    applied = {r["revision"] for r in rows[1:] if r["outcome"] == "ok"}
    assert applied == (set(versions(db_url)) if "alembic_version" in all_tables(db_url) else set())
    text = ok(project, "log")
    assert "failed" in text.splitlines()[0] and "no_such_table" in text.splitlines()[0]


def test_verify_passes_whitespace_and_names_edited_and_deleted_files(
    tmp_path: Path, db_url: str
) -> None:
    project = three(tmp_path, db_url)
    ok(project, "upgrade", "head")
    assert "OK: 3 applied revision(s) match their files" in ok(project, "verify")

    first = path_of(project, "aaa111")
    source = first.read_text()
    first.write_bytes(source.replace("\n", "   \r\n").encode() + b"\r\n\r\n")
    assert "OK: 3" in ok(project, "verify")

    first.write_text(source.replace('"t_a"', '"t_a2"'))
    path_of(project, "ccc333").unlink()
    result = distill(project, "verify")
    assert result.returncode == 1, result
    lines = result.stdout.splitlines()
    assert any(line.startswith("aaa111") and "edited" in line for line in lines), lines
    assert any(line.startswith("ccc333") and "gone" in line for line in lines), lines
    assert not any(line.startswith("bbb222") for line in lines)
    assert_one_line_failure(result, "aaa111 edited", "ccc333 deleted")


def test_upgrade_refuses_an_edited_file_unless_allow_edited(tmp_path: Path, db_url: str) -> None:
    project = three(tmp_path, db_url)
    ok(project, "upgrade", "bbb222")
    first = path_of(project, "aaa111")
    first.write_text(first.read_text() + "\n# changed after it was applied\n")
    result = distill(project, "upgrade", "head")
    assert result.returncode == 255
    assert_one_line_failure(result, "aaa111 edited", "--allow-edited")
    assert versions(db_url) == ["bbb222"]
    assert [r["revision"] for r in log(project)] == ["bbb222", "aaa111"]
    result = distill(project, "downgrade", "-1")
    assert result.returncode == 255
    assert_one_line_failure(result, "aaa111 edited")

    result = distill(project, "upgrade", "head", "--allow-edited")
    assert result.returncode == 0, result.stderr
    assert "--allow-edited" in result.stderr and "aaa111" in result.stderr
    assert versions(db_url) == ["ccc333"]
    rows = log(project)
    assert [(r["revision"], r["action"]) for r in rows[:2]] == [
        ("ccc333", "run"),
        ("aaa111", "accept"),
    ]
    accepted = rows[1]
    assert accepted["checksum"] == checksum_of_file(first)
    assert "--allow-edited" in accepted["note"]
    ok(project, "verify")  # the accepted edit is what the log now holds
    ok(project, "downgrade", "base")


def test_history_applied_marks_and_plain_history_unchanged(tmp_path: Path, db_url: str) -> None:
    project = three(tmp_path, db_url)
    plain_before = ok(project, "history")
    ok(project, "upgrade", "bbb222")
    assert ok(project, "history") == plain_before
    path_of(project, "bbb222").write_text(path_of(project, "bbb222").read_text() + "# x\n")
    marked = ok(project, "history", "--applied").splitlines()
    user = f"by {getpass.getuser()}@{socket.gethostname()}"
    assert marked[0] == plain_before.splitlines()[0]  # ccc333: not applied
    assert marked[1].startswith(plain_before.splitlines()[1] + " [applied ")
    assert user in marked[1] and "EDITED" in marked[1]
    assert marked[2].startswith(plain_before.splitlines()[2] + " [applied ")
    assert "EDITED" not in marked[2]
    verbose = ok(project, "history", "-a", "-v")
    assert "Rev: aaa111 [applied " in verbose


def test_stamp_is_logged_and_stamped_files_verify(tmp_path: Path, db_url: str) -> None:
    project = three(tmp_path, db_url)
    ok(project, "stamp", "bbb222")
    rows = log(project)
    assert [(r["revision"], r["direction"], r["action"]) for r in rows] == [
        ("bbb222", "upgrade", "stamp"),
        ("aaa111", "upgrade", "stamp"),
    ]
    assert "OK: 2" in ok(project, "verify")
    path_of(project, "aaa111").write_text("# edited\n" + path_of(project, "aaa111").read_text())
    ok(project, "stamp", "base")  # stamp repairs: it never refuses for an edited file
    rows = log(project)
    assert [(r["revision"], r["direction"], r["action"]) for r in rows[:2]] == [
        ("aaa111", "downgrade", "stamp"),
        ("bbb222", "downgrade", "stamp"),
    ]
    assert "OK: 0" in ok(project, "verify")


def test_read_back_catches_a_version_table_changed_during_the_run(
    tmp_path: Path, db_url: str
) -> None:
    project = new_project(tmp_path, db_url)
    write_revision(project, "aaa111", None, *create("t_a"))
    write_revision(
        project,
        "bbb222",
        "aaa111",
        "op.execute(\"INSERT INTO alembic_version (version_num) VALUES ('zzz999')\")",
    )
    result = distill(project, "upgrade", "head")
    assert result.returncode == 255, result
    assert_one_line_failure(result, "holds bbb222, zzz999", "meant to reach bbb222")


def test_offline_scripts_leave_the_log_out(tmp_path: Path, sqlite_url: str) -> None:
    project = three(tmp_path, sqlite_url)
    script = ok(project, "upgrade", "head", "--sql")
    assert "distill_log" not in script
    assert "distill_log" not in all_tables(sqlite_url)


def test_ledger_false_in_the_config_keeps_no_log(tmp_path: Path, sqlite_url: str) -> None:
    project = three(tmp_path, sqlite_url)
    ini = project / "distill.ini"
    ini.write_text(ini.read_text().replace("[distill]\n", "[distill]\nledger = false\n", 1))
    ok(project, "upgrade", "head")
    assert "distill_log" not in all_tables(sqlite_url)
    ini.write_text(ini.read_text().replace("ledger = false", "ledger = maybe"))
    assert_one_line_failure(distill(project, "upgrade", "head"), "ledger = 'maybe'")


def test_verify_and_log_on_a_database_without_a_log(tmp_path: Path, sqlite_url: str) -> None:
    project = three(tmp_path, sqlite_url)
    assert "Nothing applied yet" in ok(project, "verify")
    assert "nothing recorded yet" in ok(project, "log")
    assert log(project) == []
    assert distill(project, "log", "-n", "0").returncode == 2  # a usage error


def test_completed_operations_are_counted_and_named_where_ddl_stays(
    tmp_path: Path, db_url: str
) -> None:
    project = new_project(tmp_path, db_url)
    write_revision(project, "aaa111", None, *create("t_a"))
    body = "\n    ".join([create("t_b")[0], create("t_c")[0], 'op.execute("SELECT * FROM nope")'])
    write_revision(project, "bbb222", "aaa111", body)
    assert distill(project, "upgrade", "head").returncode == 1
    failed, *_ = log(project)
    assert (failed["revision"], failed["outcome"], failed["operations"]) == ("bbb222", "failed", 2)
    if db_url.startswith("mysql"):  # its DDL committed at once: the log says what stays
        assert "2 operation(s) completed before the failure" in failed["note"]
        assert "t_b" in failed["note"] and "t_c" in failed["note"]
    else:  # rolled back with the revision
        assert failed["note"] is None
    if not any(row["outcome"] == "ok" for row in log(project)):
        ok(project, "upgrade", "aaa111")  # one transaction for the run took aaa111 back too
    assert [r["operations"] for r in log(project) if r["outcome"] == "ok"] == [1]
