"""Reporters: Alembic-like log lines by default, progress lines for the CLI."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from distill.runtime.report import (
    ConsoleReporter,
    LogReporter,
    StepEvent,
    get_reporter,
    set_reporter,
)

CREATE = StepEvent(1, 2, "upgrade", "aaa111", " -> aaa111, create account table")
ADD = StepEvent(2, 2, "upgrade", "bbb222", "aaa111 -> bbb222, add email")
STAMP = StepEvent(1, 1, "stamp", None, "mmm999 -> ccc111")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def default_reporter() -> Iterator[None]:
    yield
    set_reporter(None)


@pytest.fixture(autouse=True)
def no_logging_setup_left_behind() -> Iterator[None]:
    """An earlier test's env.py may have run fileConfig in this process: `alembic` loggers
    configured (reporters then log under Alembic's name) and, with its default
    disable_existing_loggers, distill's loggers disabled. Undo both for these tests."""
    saved = []
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger) or name.split(".")[0] not in (
            "alembic",
            "distill",
        ):
            continue
        saved.append(
            (logger, logger.level, list(logger.handlers), logger.disabled, logger.propagate)
        )
        logger.disabled = False
        logger.propagate = True
        if name.split(".")[0] == "alembic":
            logger.setLevel(logging.NOTSET)
            logger.handlers.clear()
    yield
    for logger, level, handlers, disabled, propagate in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.disabled = disabled
        logger.propagate = propagate


def test_log_reporter_writes_alembics_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="distill.runtime.migration")
    reporter = LogReporter()
    reporter.info("Context impl SQLiteImpl.")
    reporter.step_started(CREATE)
    reporter.step_finished(CREATE, 0.5)
    reporter.stamp(STAMP)
    assert [r.getMessage() for r in caplog.records] == [
        "Context impl SQLiteImpl.",
        "Running upgrade  -> aaa111, create account table",
        "Running stamp_revision mmm999 -> ccc111",
    ]
    assert {r.name for r in caplog.records} == {"distill.runtime.migration"}


def test_console_reporter_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    reporter = ConsoleReporter(stream)
    reporter.run_started(2)
    reporter.step_started(CREATE)
    assert stream.getvalue() == ""  # a line is written whole, when the step is done
    reporter.step_finished(CREATE, 0.02)
    reporter.step_started(ADD)
    reporter.step_failed(ADD, 1.5)
    assert stream.getvalue() == (
        "Running upgrade  -> aaa111, create account table ... done (0.02s)\n"
        "Running upgrade aaa111 -> bbb222, add email ... FAILED (1.50s)\n"
    )


def test_console_reporter_shows_progress_on_a_terminal() -> None:
    stream = Terminal()
    reporter = ConsoleReporter(stream)
    reporter.step_started(CREATE)
    assert stream.getvalue() == "[1/2] Running upgrade  -> aaa111, create account table ..."
    reporter.step_finished(CREATE, 0.02)
    reporter.step_started(ADD)
    reporter.step_finished(ADD, 3.0)
    reporter.stamp(STAMP)
    assert stream.getvalue().splitlines() == [
        "[1/2] Running upgrade  -> aaa111, create account table ... done (0.02s)",
        "[2/2] Running upgrade aaa111 -> bbb222, add email ... done (3.00s)",
        "Running stamp_revision mmm999 -> ccc111",
    ]


@pytest.mark.parametrize("stream", [io.StringIO(), Terminal()])
def test_console_reporter_quiet_prints_nothing(stream: io.StringIO) -> None:
    reporter = ConsoleReporter(stream, quiet=True)
    reporter.step_started(CREATE)
    reporter.step_finished(CREATE, 0.02)
    reporter.stamp(STAMP)
    reporter.info("Context impl SQLiteImpl.")
    assert stream.getvalue() == ""


def test_set_reporter_and_back_to_the_default() -> None:
    assert isinstance(get_reporter(), LogReporter)
    console = ConsoleReporter(io.StringIO())
    set_reporter(console)
    assert get_reporter() is console
    set_reporter(None)
    assert isinstance(get_reporter(), LogReporter)
