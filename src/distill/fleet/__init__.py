"""Fleets: the same command on many tenant databases or schemas, each in its own process.

`run_fleet()` builds one Job per target, runs them (runner.py: parallel, canaries first,
stop or keep going), and returns a Report that summary.py prints. Each target's run is
the ordinary command path (`distill.command.upgrade` and friends) in a process of its
own (child.py), so it takes whatever the command takes (backups, the deploy lock).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from distill.errors import DistillError
from distill.fleet.child import Action, Job, Result
from distill.fleet.runner import Progress, Runner, Schedule
from distill.fleet.summary import Report, render_json, render_text
from distill.fleet.targets import (
    Target,
    configured_targets,
    expand_schemas,
    parse_targets,
    read_targets_file,
)

if TYPE_CHECKING:
    from distill.config import Config
    from distill.graph import RevisionGraph

__all__ = [
    "FleetOptions",
    "Report",
    "Result",
    "Target",
    "parse_targets",
    "render_json",
    "render_text",
    "resolve_targets",
    "run_fleet",
]


@dataclass(frozen=True)
class FleetOptions:
    """How the project's Config is found again in each target's process, and the schedule."""

    config_files: tuple[str, ...] = ()
    section: str | None = None
    x_args: tuple[str, ...] = ()
    jobs: int | None = None
    canary: int = 0
    keep_going: bool = False
    backup: bool = True
    timeout: float | None = None


def resolve_targets(
    config: Config, targets_file: str | None = None, schemas: str | None = None
) -> list[Target]:
    """The targets: the file, else the config's list or command; `schemas` expands them.

    With `schemas` and no list, the schemas of the configured database.
    """
    if targets_file is not None:
        found = read_targets_file(targets_file)
    elif schemas is not None and not _has_configured_list(config):
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise DistillError(
                "--schemas needs a database: set sqlalchemy.url or pass --targets FILE"
            )
        found = [Target("database", url)]
    else:
        found = configured_targets(config)
    if schemas is not None:
        found = expand_schemas(found, schemas)
    if not found:
        raise DistillError("the target list is empty; add one target a line")
    return found


def _has_configured_list(config: Config) -> bool:
    return any(
        config.get_alembic_option(name) for name in ("fleet_targets", "fleet_targets_command")
    )


def run_fleet(
    config: Config,
    action: Action,
    revision: str | None,
    targets: Sequence[Target],
    options: FleetOptions,
    progress: Progress,
) -> Report:
    """Run `action` on every target, each in its own process; the Report of all of them."""
    from distill import command

    if options.canary < 0 or (options.jobs is not None and options.jobs < 1):
        raise DistillError("--jobs must be at least 1 and --canary at least 0")
    graph = command.script_directory(config).graph
    if revision is not None and action in ("upgrade", "downgrade"):
        _check_revision(graph, revision)
    schedule = Schedule(
        jobs=options.jobs or os.cpu_count() or 1,
        canary=options.canary,
        keep_going=options.keep_going,
        timeout=options.timeout,
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="distill-fleet-") as logs:
        jobs = [
            Job(
                action,
                revision,
                target,
                options.config_files,
                options.section,
                options.x_args,
                options.backup,
                os.path.join(logs, f"{number}.log"),
            )
            for number, target in enumerate(targets)
        ]
        results = Runner(schedule, progress).run(jobs)
    return Report(
        action,
        revision,
        results,
        time.perf_counter() - started,
        tuple(graph.heads),
        frozenset(graph.revisions),
    )


def _check_revision(graph: RevisionGraph, revision: str) -> None:
    """Refuse a revision the history does not have before any target starts."""
    import re

    plain = re.sub(r"([+-]\d+)$", "", revision)
    if not plain or plain in ("base", "head", "heads") or plain.endswith("@head"):
        return
    graph.resolve(plain)  # raises the graph's one-line error for an unknown revision
