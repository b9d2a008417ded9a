"""A command line run raises the collector's young threshold while it runs, then puts it back."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli_project import new_project

from distill import command
from distill.cli import main
from distill.cli.app import CLI_GC_THRESHOLD


@pytest.fixture
def threshold() -> Iterator[None]:
    """Leave the test process's thresholds as they were."""
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def _during_heads(project: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, ...]:
    """The thresholds `distill heads` runs under, called in this process."""
    seen: list[tuple[int, ...]] = []
    monkeypatch.setattr(command, "heads", lambda *args: seen.append(gc.get_threshold()))
    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as stop:
        main(["heads"], prog_name="distill")
    assert stop.value.code == 0
    return seen[0]


def test_raised_while_running_and_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: None
) -> None:
    project = new_project(tmp_path)
    gc.set_threshold(700, 10, 10)
    assert _during_heads(project, monkeypatch) == (CLI_GC_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize("given", [(0, 10, 10), (CLI_GC_THRESHOLD * 2, 10, 10)])
def test_a_program_s_own_setting_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: None, given: tuple[int, ...]
) -> None:
    project = new_project(tmp_path)
    gc.set_threshold(*given)
    assert _during_heads(project, monkeypatch) == given
    assert gc.get_threshold() == given
