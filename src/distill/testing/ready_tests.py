"""The ready tests pytest-alembic users know, enabled by one line in a conftest.py:
`pytest_plugins = ["distill.testing.ready_tests"]`.

The conftest that names this module collects the tests below (test_single_head_revision,
test_upgrade, test_model_definitions_match_ddl, test_up_down_consistency, test_stairway),
run with the fixtures of `distill.testing.plugin`. A failure shows the check, the
revision and the schema difference, without a traceback into distill.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from distill.testing import checks
from distill.testing.runner import HistoryRunner

_ENABLING_NAME = __name__


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """The conftest.py that enables this module collects the ready tests."""
    if file_path.name != "conftest.py":
        return None
    if _ENABLING_NAME not in file_path.read_text(encoding="utf-8", errors="replace"):
        return None
    return _ReadyTests.from_parent(parent, path=file_path)


class _ReadyTests(pytest.Module):
    """The ready tests, reported under the conftest.py that enabled them."""

    def _getobj(self) -> ModuleType:
        return sys.modules[_ENABLING_NAME]


def _proved(check: Callable[[], Any]) -> Any:
    """Run a check; its failure becomes a test failure with the evidence and no traceback."""
    try:
        return check()
    except checks.CheckFailed as failure:
        report = failure.report()
    pytest.fail(report, pytrace=False)  # outside the except: no chained exception shown


def test_single_head_revision(distill_runner: HistoryRunner) -> None:
    """The history has one head."""
    _proved(lambda: checks.single_head(distill_runner))


def test_upgrade(distill_runner: HistoryRunner) -> None:
    """Every revision upgrades, one at a time, from base to the heads."""
    checks.require_empty(distill_runner)
    _proved(lambda: checks.upgrade(distill_runner))


def test_model_definitions_match_ddl(distill_runner: HistoryRunner) -> None:
    """At the heads, the models (target_metadata) match the database."""
    checks.require_empty(distill_runner)
    _proved(lambda: checks.upgrade(distill_runner))
    if not _proved(lambda: checks.model_match(distill_runner)):
        pytest.skip("env.py sets no target_metadata: no models to compare")


def test_up_down_consistency(distill_runner: HistoryRunner) -> None:
    """Up to the heads, then down to base one revision at a time, the schema as it was."""
    checks.require_empty(distill_runner)
    _proved(lambda: checks.up_down_consistency(distill_runner))


def test_stairway(distill_runner: HistoryRunner) -> None:
    """Every revision: upgrade, downgrade, upgrade again, the schema back each time."""
    checks.require_empty(distill_runner)
    _proved(lambda: checks.stairway(distill_runner))
