"""Bad input through the real CLI: one clear line, a non-zero exit, no traceback, no change."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli_project import (
    assert_one_line_failure,
    distill,
    new_project,
    tables,
    write_revision,
)


def test_missing_config_file(tmp_path: Path) -> None:
    result = distill(tmp_path, "heads")
    assert_one_line_failure(result, "distill.ini")


def test_missing_script_location_folder(tmp_path: Path) -> None:
    (tmp_path / "distill.ini").write_text("[distill]\nscript_location = nowhere\n")
    result = distill(tmp_path, "heads")
    assert_one_line_failure(result, "nowhere", "init")


def test_syntax_error_in_revision_file_names_file_and_line(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    path = write_revision(project, "aaa111", None)
    path.write_text(path.read_text() + "\ndef broken(:\n")
    result = distill(project, "upgrade", "head")
    assert_one_line_failure(result, str(path.name), "syntax")


def test_missing_parent_revision(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    write_revision(project, "bbb222", "aaa111")
    result = distill(project, "history")
    assert_one_line_failure(result, "aaa111")


def test_duplicate_revision_ids(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    write_revision(project, "aaa111", None)
    (project / "migrations" / "versions" / "copy.py").write_text(
        (project / "migrations" / "versions" / "aaa111_x.py").read_text()
    )
    result = distill(project, "heads")
    assert_one_line_failure(result, "aaa111")


def test_unknown_revision_id(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    write_revision(project, "aaa111", None)
    result = distill(project, "upgrade", "zzz999")
    assert_one_line_failure(result, "zzz999")
    assert result.returncode == 255


def test_ambiguous_prefix_lists_candidates(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    write_revision(project, "abcd1111", None)
    write_revision(project, "abcd2222", "abcd1111")
    line = assert_one_line_failure(distill(project, "show", "abcd"))
    assert "abcd1111" in line and "abcd2222" in line


def test_head_with_two_heads_says_what_to_do(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    write_revision(project, "aaa111", None)
    write_revision(project, "bbb222", "aaa111")
    write_revision(project, "ccc333", "aaa111")
    assert_one_line_failure(distill(project, "upgrade", "head"), "heads")


def test_unreachable_database(tmp_path: Path) -> None:
    project = new_project(tmp_path, "postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    write_revision(project, "aaa111", None)
    result = distill(project, "upgrade", "head")
    line = assert_one_line_failure(result)
    assert "secret" not in result.stderr + result.stdout
    assert "127.0.0.1" in line or "connect" in line.lower()


def test_failing_revision_is_rolled_back_whole_and_named(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    project = new_project(tmp_path, url)
    write_revision(
        project,
        "aaa111",
        None,
        'op.create_table("t1", sa.Column("id", sa.Integer, primary_key=True))',
    )
    write_revision(
        project,
        "bbb222",
        "aaa111",
        'op.create_table("t2", sa.Column("id", sa.Integer, primary_key=True)); '
        'op.execute("SELECT * FROM no_such_table")',
    )
    result = distill(project, "upgrade", "head")
    assert_one_line_failure(result, "bbb222", "version table (read back): aaa111")
    assert "t2" not in tables(url)  # the failing revision is rolled back whole
    assert "t1" in tables(url)  # one transaction per revision: the one before stays


@pytest.mark.parametrize("flag", ["--traceback", "--raiseerr"])
def test_traceback_on_request(tmp_path: Path, flag: str) -> None:
    project = new_project(tmp_path)
    write_revision(project, "aaa111", None)
    result = distill(project, flag, "upgrade", "zzz999")
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_range_without_sql_is_refused(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    write_revision(project, "aaa111", None)
    assert_one_line_failure(distill(project, "upgrade", "aaa111:head"), "Range")


def test_downgrade_sql_needs_a_range(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    write_revision(project, "aaa111", None)
    assert_one_line_failure(distill(project, "downgrade", "base", "--sql"), "<fromrev>:<torev>")


def test_long_rev_id_refused_at_revision_time(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    result = distill(project, "revision", "-m", "x", "--rev-id", "a" * 40)
    assert_one_line_failure(result, "32")
    assert not list((project / "migrations" / "versions").glob("*.py"))


def test_usage_error_exits_2(tmp_path: Path) -> None:
    result = distill(tmp_path, "upgrade")
    assert result.returncode == 2


def test_missing_driver_says_what_to_install(tmp_path: Path) -> None:
    project = new_project(tmp_path, "postgresql+nosuchdriver://bob:hunter2@127.0.0.1/x")
    result = distill(project, "upgrade", "head")
    assert_one_line_failure(result, "not installed", "pip install")
    assert "hunter2" not in result.stdout + result.stderr


def test_malformed_url_says_what_a_url_looks_like(tmp_path: Path) -> None:
    project = new_project(tmp_path, "bob:hunter2@127.0.0.1/x")
    result = distill(project, "upgrade", "head")
    assert_one_line_failure(result, "dialect+driver://")
    assert "hunter2" not in result.stdout + result.stderr
