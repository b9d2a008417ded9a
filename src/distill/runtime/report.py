"""How a migration run tells people what it does: log records or console lines."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol, TextIO

LOGGER_NAME = "distill.runtime.migration"

log = logging.getLogger(LOGGER_NAME)


@dataclass(frozen=True)
class StepEvent:
    """One step of a run as the reporter sees it: "[number/total] Running kind description"."""

    number: int  # 1-based position in the plan
    total: int
    kind: str  # "upgrade", "downgrade" or "stamp"
    revision: str | None
    description: str  # e.g. "aaa111 -> bbb222, add account"

    @property
    def verb(self) -> str:
        """The word Alembic's log lines use for the step: stamps are `stamp_revision`."""
        return "stamp_revision" if self.kind == "stamp" else self.kind

    @property
    def line(self) -> str:
        """`Running upgrade aaa111 -> bbb222, add account`."""
        return f"Running {self.verb} {self.description}"


class Reporter(Protocol):
    """What the migrator tells while it runs; implementations decide where it goes."""

    def run_started(self, total: int) -> None:
        """A run of `total` steps begins."""

    def step_started(self, event: StepEvent) -> None:
        """A revision starts running."""

    def step_finished(self, event: StepEvent, seconds: float) -> None:
        """A revision ran, its version rows are written."""

    def step_failed(self, event: StepEvent, seconds: float) -> None:
        """A revision raised; the error follows as an exception."""

    def stamp(self, event: StepEvent) -> None:
        """The version table was moved without running a revision."""

    def info(self, message: str) -> None:
        """A remark about the run: the dialect impl, the transaction mode."""


class LogReporter:
    """Reports as INFO records on the `distill.runtime.migration` logger, like Alembic."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger if logger is not None else log

    def run_started(self, total: int) -> None:
        """Log the size of the plan at DEBUG level."""
        self.logger.debug("Migration plan has %d step(s).", total)

    def step_started(self, event: StepEvent) -> None:
        """Log `Running upgrade  -> aaa111, create account table`."""
        self.logger.info("%s", event.line)

    def step_finished(self, event: StepEvent, seconds: float) -> None:
        """Log the duration at DEBUG level."""
        self.logger.debug("Finished %s %s in %.2fs.", event.verb, event.revision, seconds)

    def step_failed(self, event: StepEvent, seconds: float) -> None:
        """Log the failing step at ERROR level; the exception carries the details."""
        self.logger.info("Failed %s %s after %.2fs.", event.verb, event.revision, seconds)

    def stamp(self, event: StepEvent) -> None:
        """Log `Running stamp_revision aaa111 -> bbb222`."""
        self.logger.info("%s", event.line)

    def info(self, message: str) -> None:
        """Log `message` at INFO level."""
        self.logger.info("%s", message)

    def notice(self, message: str) -> None:
        """Log `message` at INFO level (the console shows these lines)."""
        self.logger.info("%s", message)


class ConsoleReporter:
    """Reports to a stream for the CLI: live progress on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self._open_line = False  # a terminal line waits for its "done"

    @property
    def _live(self) -> bool:
        """True when the stream is a terminal someone watches."""
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def run_started(self, total: int) -> None:
        """Nothing to print: each step speaks for itself."""

    def step_started(self, event: StepEvent) -> None:
        """On a terminal, show the step now, so a slow revision is visible while it runs."""
        if self.quiet or not self._live:
            return
        self._write(f"[{event.number}/{event.total}] {event.line} ...")
        self._open_line = True

    def _finish(self, event: StepEvent, outcome: str, seconds: float) -> None:
        if self.quiet:
            return
        if self._open_line:
            self._write(f" {outcome} ({seconds:.2f}s)\n")
            self._open_line = False
        else:
            # one complete line per step keeps CI logs readable
            self._write(f"{event.line} ... {outcome} ({seconds:.2f}s)\n")

    def step_finished(self, event: StepEvent, seconds: float) -> None:
        """Close the step's line with `done (0.02s)`."""
        self._finish(event, "done", seconds)

    def step_failed(self, event: StepEvent, seconds: float) -> None:
        """Close the step's line with `FAILED (0.02s)`."""
        self._finish(event, "FAILED", seconds)

    def stamp(self, event: StepEvent) -> None:
        """Print `Running stamp_revision aaa111 -> bbb222`."""
        if not self.quiet:
            self._write(f"{event.line}\n")

    def info(self, message: str) -> None:
        """Remarks about the run are for the log, not the console."""
        log.info("%s", message)

    def notice(self, message: str) -> None:
        """A line the person running the command needs (waiting for a lock, nothing to do)."""
        if self.quiet:
            return
        if self._open_line:
            self._write("\n")
            self._open_line = False
        self._write(f"{message}\n")


_reporter: Reporter | None = None


def set_reporter(reporter: Reporter | None) -> None:
    """Send run reports to `reporter` from now on; None restores the logging default."""
    global _reporter
    _reporter = reporter


def get_reporter() -> Reporter:
    """The reporter runs use: the one set with set_reporter(), else a LogReporter."""
    return _reporter if _reporter is not None else LogReporter()


def notice(message: str) -> None:
    """Tell the person running the command: the reporter's `notice`, else its `info`."""
    reporter = get_reporter()
    tell = getattr(reporter, "notice", None)
    if callable(tell):
        tell(message)
    else:
        reporter.info(message)
