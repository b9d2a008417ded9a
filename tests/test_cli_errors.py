"""Bad input through the real CLI: one clear line, a non-zero exit, no traceback, no change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa


def distill(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the distill CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "distill", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=120,
    )


def assert_one_line_failure(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The run failed with exactly one FAILED line on stderr and no traceback."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr + result.stdout
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED: ")]
    assert len(failed) == 1, result.stderr
    for needle in needles:
        assert needle in failed[0], failed[0]
    return failed[0]


def new_project(tmp_path: Path, url: str | None = None) -> Path:
    """A distill project made by `distill init`, pointing at `url`."""
    result = distill(tmp_path, "init", "migrations")
    assert result.returncode == 0, result.stderr
    ini = tmp_path / "distill.ini"
    lines = [
        f"sqlalchemy.url = {url or 'sqlite:///' + str(tmp_path / 'app.db')}"
        if line.startswith("sqlalchemy.url")
        else line
        for line in ini.read_text().splitlines()
    ]
    ini.write_text("\n".join(lines) + "\n")
    return tmp_path


def write_revision(
    project: Path, rev: str, down: str | None, body: str = "pass", undo: str = "pass"
) -> Path:
    """Write a revision file by hand."""
    path = project / "migrations" / "versions" / f"{rev}_x.py"
    path.write_text(
        f'"""rev {rev}"""\nfrom distill import op\nimport sqlalchemy as sa\n\n'
        f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\n"
        f"depends_on = None\n\n\ndef upgrade():\n    {body}\n\n\ndef downgrade():\n    {undo}\n"
    )
    return path


def tables(url: str) -> list[str]:
    """Table names in the database."""
    engine = sa.create_engine(url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


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


def test_failing_revision_leaves_database_unchanged_and_names_the_revision(
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
    assert_one_line_failure(result, "bbb222")
    assert "t2" not in tables(url)
    assert "t1" not in tables(url)  # one transaction for the run: nothing half-applied


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
