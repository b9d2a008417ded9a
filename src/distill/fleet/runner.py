"""Run jobs in parallel, one process per target, and collect their Results.

Processes come from a fork server that has distill and SQLAlchemy imported already, so
a target costs a fork rather than a Python start-up; each still runs alone in its own
process, and a process that dies without a Result is reported as crashed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any

from distill.fleet.child import Job, Result, child_main

Progress = Callable[[Result, int, int, int], None]
"""Told of each finished target with the done, failed and remaining counts."""

# what every target's run imports (a missing driver is skipped by the fork server)
_PRELOAD = [
    "distill.cli",  # the `distill` script is the main module a child is prepared with
    "distill.fleet.child",
    "distill.command",
    "distill.context",
    "distill.op",
    "distill.runtime.environment",
    "distill.runtime.migrator",
    "distill.operations.implementations",
    "distill.scripts.directory",
    "distill.dialects.sqlite.impl",
    "distill.dialects.postgresql",
    "distill.dialects.mysql",
    "logging.config",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.dialects.mysql.pymysql",
]


def _context() -> Any:
    """The multiprocessing context: a preloaded fork server where there is one."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class Schedule:
    """How the jobs run: how many at once, the canaries first, stop or go on after a failure."""

    jobs: int
    canary: int = 0
    keep_going: bool = False
    timeout: float | None = None
    """Seconds a target may take before its process is killed (None: no limit)."""


@dataclass
class _Running:
    process: Any
    job: Job
    started: float


class Runner:
    """Runs jobs to Results under a Schedule, telling `progress` as each ends."""

    def __init__(self, schedule: Schedule, progress: Progress) -> None:
        self.schedule = schedule
        self.progress = progress
        self.results: dict[str, Result] = {}
        self._failed = 0
        self._broken = 0
        """Targets that failed or crashed: they stop the run without --keep-going."""
        self._total = 0

    def run(self, jobs: Sequence[Job]) -> list[Result]:
        """Every job's Result, in the order of `jobs` (never started ones: "not run")."""
        self._total = len(jobs)
        context = _context()
        canaries, rest = list(jobs[: self.schedule.canary]), list(jobs[self.schedule.canary :])
        if canaries:
            self._phase(context, canaries, stop_on_failure=True)
        if rest and not (canaries and self._broken) and not self._stopped():
            self._phase(context, rest, stop_on_failure=not self.schedule.keep_going)
        return [self.results.get(job.target.name) or Result(job.target, "not run") for job in jobs]

    def _stopped(self) -> bool:
        return self._broken > 0 and not self.schedule.keep_going

    def _phase(self, context: Any, jobs: list[Job], stop_on_failure: bool) -> None:
        """Run `jobs`, at most `schedule.jobs` at a time; start none after a failure if asked."""
        pending = deque(jobs)
        running: dict[Connection, _Running] = {}
        try:
            while pending or running:
                while pending and len(running) < self.schedule.jobs:
                    if stop_on_failure and self._broken:
                        pending.clear()
                        break
                    job = pending.popleft()
                    reader, writer = context.Pipe(duplex=False)
                    process = context.Process(target=child_main, args=(job, writer), daemon=True)
                    process.start()
                    writer.close()  # the child's end: EOF here when the child is gone
                    running[reader] = _Running(process, job, time.monotonic())
                if not running:
                    break
                for ready in wait(list(running), timeout=self._next_deadline(running)):
                    assert isinstance(ready, Connection)
                    self._finish(ready, running.pop(ready))
                self._kill_late(running)
        finally:
            for left in running.values():  # interrupted: no process outlives the fleet
                left.process.kill()
                left.process.join()

    def _next_deadline(self, running: dict[Connection, _Running]) -> float | None:
        """Seconds until the first running target times out (None: no limit)."""
        if self.schedule.timeout is None:
            return None
        first = min(entry.started for entry in running.values())
        return max(0.0, first + self.schedule.timeout - time.monotonic())

    def _kill_late(self, running: dict[Connection, _Running]) -> None:
        """Kill the targets past the timeout; each is reported as crashed."""
        timeout = self.schedule.timeout
        if timeout is None:
            return
        now = time.monotonic()
        for reader, entry in list(running.items()):
            if now - entry.started < timeout:
                continue
            entry.process.kill()
            running.pop(reader)
            self._finish(reader, entry, f"timed out after {timeout:g}s and was killed")

    def _finish(self, reader: Connection, running: _Running, killed: str | None = None) -> None:
        """Collect one target's Result (or its crash)."""
        try:
            result: Result = (
                reader.recv() if killed is None else Result(running.job.target, "crashed")
            )
        except (EOFError, OSError):
            result = Result(running.job.target, "crashed")
        reader.close()
        running.process.join()
        if killed is not None:
            result.error = killed
            result.seconds = time.monotonic() - running.started
        elif result.outcome == "crashed":
            result.error = _crash_text(running.process.exitcode, running.job.log_path)
        result.target = running.job.target
        if not _succeeded(result):
            self._failed += 1
        if result.outcome in ("failed", "crashed"):  # a check's finding stops nothing
            self._broken += 1
        self.results[running.job.target.name] = result
        done = len(self.results)
        self.progress(replace(result), done, self._failed, self._total - done)


def _succeeded(result: Result) -> bool:
    """A Result that counts as done, not failed."""
    return result.outcome == "ok"


def _crash_text(exitcode: int | None, log_path: str) -> str:
    """Why a process ended without a Result: its signal or exit code, its last log line."""
    if exitcode is not None and exitcode < 0:
        try:
            what = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            what = f"killed by signal {-exitcode}"
    else:
        what = f"exited with code {exitcode} before reporting"
    last = _last_line(log_path)
    return f"process {what}" + (f"; last output: {last}" if last else "")


def _last_line(path: str) -> str:
    """The last non-empty line a target's process wrote."""
    try:
        with open(path, "rb") as log:
            log.seek(max(0, os.path.getsize(path) - 4096))
            lines = [line.strip() for line in log.read().decode(errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [line for line in lines if line]
    return lines[-1][:200] if lines else ""
