"""The pytest plugin, used the way a project uses it: its own conftest, a subprocess pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.history_project import history_project

ENABLE = 'pytest_plugins = ["distill.testing.ready_tests"]\n'
READY = [
    "test_single_head_revision",
    "test_upgrade",
    "test_model_definitions_match_ddl",
    "test_up_down_consistency",
    "test_stairway",
]


def run_pytest(project: Path) -> subprocess.CompletedProcess[str]:
    """pytest in the project's folder, as its developers run it."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=300,
    )


def outcomes(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """{test name: PASSED/FAILED/...} from pytest's -rA summary."""
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in {"PASSED", "FAILED", "SKIPPED", "ERROR"} and "::" in rest:
            found[rest.split("::", 1)[1].split(" ", 1)[0]] = word
    return found


def test_one_conftest_line_runs_the_ready_tests_on_a_good_history(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    (project / "conftest.py").write_text(ENABLE)
    result = run_pytest(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert outcomes(result) == dict.fromkeys(READY, "PASSED")
    assert not (project / "app.db").exists()  # the configured database is never touched


def test_without_the_line_the_plugin_adds_no_test(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    (project / "conftest.py").write_text("# no distill tests here\n")
    (project / "test_own.py").write_text(
        "def test_own(distill_config):\n"
        "    assert distill_config.get_main_option('script_location')\n"
    )
    result = run_pytest(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert outcomes(result) == {"test_own": "PASSED"}


def test_a_downgrade_leaving_an_index_behind_fails_the_stairway(tmp_path: Path) -> None:
    project = history_project(tmp_path, index_undo="pass")
    (project / "conftest.py").write_text(ENABLE)
    result = run_pytest(project)
    assert result.returncode == 1
    assert outcomes(result) == {
        "test_single_head_revision": "PASSED",
        "test_upgrade": "PASSED",
        "test_model_definitions_match_ddl": "PASSED",
        "test_up_down_consistency": "FAILED",
        "test_stairway": "FAILED",
    }
    assert "stairway failed at revision b2" in result.stdout
    assert "+ users: index ix_users_email (email)" in result.stdout


def test_drifted_models_fail_the_model_test(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    models = project / "models.py"
    models.write_text(models.read_text().replace("index=True", "index=False"))
    (project / "conftest.py").write_text(ENABLE)
    result = run_pytest(project)
    assert outcomes(result)["test_model_definitions_match_ddl"] == "FAILED"
    assert "model match failed at revision b2" in result.stdout
    assert "remove_index users.ix_users_email" in result.stdout
    assert "During handling" not in result.stdout


def test_a_project_points_the_tests_at_its_own_database(tmp_path: Path, db_url: str) -> None:
    project = history_project(tmp_path)
    (project / "conftest.py").write_text(
        ENABLE
        + "import pytest\n\n\n@pytest.fixture\ndef distill_scratch_url():\n"
        + f"    return {db_url!r}\n"
    )
    (project / "pytest.ini").write_text("[pytest]\naddopts = -k 'stairway or up_down'\n")
    result = run_pytest(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert outcomes(result) == {"test_up_down_consistency": "PASSED", "test_stairway": "PASSED"}
