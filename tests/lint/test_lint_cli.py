"""`distill lint` on the command line: pending revisions of the configured database by
default, ranges, formats, exit codes, and the dialect taken from the URL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.cli_project import assert_one_line_failure, distill
from support.lint_project import new_project, write_revision

ADD_NICKNAME = 'op.add_column("users", sa.Column("nickname", sa.String(20)))'
CREATE_USERS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(50)),
)
"""
DROP_EMAIL = 'op.drop_column("users", "email")'
INDEX_EMAIL = 'op.create_index("ix_users_email", "users", ["email"])'


def _history(project: Path, second: str = DROP_EMAIL) -> None:
    """a1 creates users (safe), b2 does `second` to it."""
    write_revision(
        project,
        CREATE_USERS,
        rev="a1",
        message="create users",
        downgrade='op.drop_table("users")',
    )
    write_revision(
        project,
        second,
        rev="b2",
        down="a1",
        message="change users",
        downgrade='op.execute("SELECT 1")',
    )


def _set_url(project: Path, url: str) -> None:
    ini = project / "distill.ini"
    lines = [
        f"sqlalchemy.url = {url}" if line.startswith("sqlalchemy.url") else line
        for line in ini.read_text().splitlines()
    ]
    ini.write_text("\n".join(lines) + "\n")


def test_error_exits_1_and_prints_grouped_text(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    _history(project)
    result = distill(project, "lint")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("b2 change users"))
    assert header.endswith("b2_lint.py)")
    assert any("line 12: error [drop-column] drops column users.email" in line for line in lines)
    assert any(line.strip().startswith("instead: ") for line in lines)
    assert lines[-1] == "1 error, 0 warnings; 2 revisions checked."
    assert "\x1b[" not in result.stdout  # no colour when stdout is not a terminal
    assert "Traceback" not in result.stderr


def test_clean_history_exits_0(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    _history(project, second=ADD_NICKNAME)
    result = distill(project, "lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "No findings; 2 revisions checked."


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    _history(project, second=INDEX_EMAIL)
    result = distill(project, "lint", "--dialect", "postgresql")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning [index-not-concurrent]" in result.stdout


def test_default_checks_only_revisions_pending_on_the_database(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    _history(project)
    assert distill(project, "upgrade", "b2").returncode == 0
    result = distill(project, "lint")
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1] == "No findings; 0 revisions checked."
    assert distill(project, "downgrade", "a1").returncode == 0
    result = distill(project, "lint", "--format", "json")
    assert json.loads(result.stdout)["revisions"] == ["b2"]


def test_range_and_all(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    _history(project)
    assert distill(project, "upgrade", "head").returncode == 0
    ranged = json.loads(distill(project, "lint", "-r", "a1:a1", "--format", "json").stdout)
    assert ranged["revisions"] == ["a1"]
    assert ranged["findings"] == []
    everything = json.loads(distill(project, "lint", "--all", "--format", "json").stdout)
    assert everything["revisions"] == ["a1", "b2"]
    assert [f["rule"] for f in everything["findings"]] == ["drop-column"]


def test_json_format(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    _history(project)
    result = distill(project, "lint", "--format", "json")
    assert result.returncode == 1
    printed = json.loads(result.stdout)
    assert (printed["errors"], printed["warnings"]) == (1, 0)
    [finding] = printed["findings"]
    assert finding["rule"] == "drop-column"
    assert finding["severity"] == "error"
    assert finding["revision"] == "b2"
    assert finding["line"] == 12
    assert finding["path"].endswith("b2_lint.py")
    assert finding["reason"].startswith("drops column users.email")
    assert finding["alternative"]


def test_github_format(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    _history(project, second=DROP_EMAIL + "\n" + INDEX_EMAIL)
    result = distill(project, "lint", "--format", "github", "--dialect", "postgresql")
    assert result.returncode == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert annotations[0].startswith(
        "::error file=migrations/versions/b2_lint.py,line=12,title=distill lint drop-column::"
        "drops column users.email"
    )
    assert annotations[1].startswith(
        "::warning file=migrations/versions/b2_lint.py,line=13,"
        "title=distill lint index-not-concurrent::"
    )
    assert "Instead: " in annotations[0]


def test_dialect_comes_from_the_url_and_can_be_overridden(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    _history(project, second=INDEX_EMAIL)
    assert "index-not-concurrent" not in distill(project, "lint").stdout
    assert "index-not-concurrent" in distill(project, "lint", "--dialect", "postgresql").stdout


def test_bad_arguments_are_one_line(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    _history(project)
    assert_one_line_failure(distill(project, "lint", "--all", "-r", "a1:b2"), "not both")
    assert_one_line_failure(distill(project, "lint", "-r", "a1"), "START:END")
    assert_one_line_failure(distill(project, "lint", "--all", "--dialect", "nosuchdb"), "--dialect")


def test_without_sqlglot_raw_sql_is_reported_with_how_to_install(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    _history(project, second='op.execute("DROP TABLE users")')
    code = "import sys; sys.modules['sqlglot'] = None; from distill.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "lint", "--all"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "warning [unparsed-sql]" in result.stdout
    assert "pip install 'distill[lint]'" in result.stdout


def test_pending_revisions_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    project = new_project(tmp_path)
    _set_url(project, pg_url)
    _history(project, second=INDEX_EMAIL)
    assert distill(project, "upgrade", "a1").returncode == 0
    printed = json.loads(distill(project, "lint", "--format", "json").stdout)
    assert printed["revisions"] == ["b2"]
    assert [f["rule"] for f in printed["findings"]] == ["index-not-concurrent"]


def test_pending_revisions_on_mariadb(tmp_path: Path, mysql_url: str) -> None:
    project = new_project(tmp_path)
    _set_url(project, mysql_url)
    _history(project, second=ADD_NICKNAME + "\n" + INDEX_EMAIL)
    assert distill(project, "upgrade", "a1").returncode == 0
    printed = json.loads(distill(project, "lint", "--format", "json").stdout)
    assert printed["revisions"] == ["b2"]
    assert [f["rule"] for f in printed["findings"]] == ["non-atomic-ddl"]
