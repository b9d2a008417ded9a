"""`python -m bench` (or `bin/bench`): run the cases, write JSON and Markdown, print the table."""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from bench.cases import CaseDef, Settings
from bench.catalogue import catalogue
from bench.databases import PostgresDatabase, SqliteDatabase
from bench.measure import Spawner
from bench.report import as_json, commit, machine, markdown
from bench.runner import CaseResult, Launcher, run_case
from bench.server import OwnServer, ServerUnavailable
from bench.workspace import REPOSITORY, Workspace, child_environment

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATABASES = ("sqlite", "postgresql")


def sizes(text: str) -> tuple[int, ...]:
    """A comma-separated list of positive integers."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of numbers like 100,500"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: sizes must be 1 or more")
    return values


def names(text: str) -> tuple[str, ...]:
    """A comma-separated list of databases the suite knows."""
    values = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(set(values) - set(DATABASES))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown database {unknown[0]!r}; use {','.join(DATABASES)}"
        )
    return values


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="bin/bench",
        description="Time distill against Alembic on the same generated projects, beside "
        "the floor each case has without a tool. Writes bench/results/latest.json and "
        "latest.md and prints the table.",
    )
    parser.add_argument("--revisions", type=int, default=1000, help="linear history size (1000)")
    parser.add_argument("--large", type=int, help="second `heads` size (5 x --revisions)")
    parser.add_argument("--tables", type=sizes, help="model set sizes for autogenerate "
                        "(--revisions/10, /2 and x1: 100,500,1000)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per participant (5)")
    parser.add_argument("--cases", default="*", help="comma-separated patterns of case ids (all)")
    parser.add_argument("--databases", type=names, default=DATABASES, help="sqlite,postgresql")
    parser.add_argument("--pg-url", help="use this PostgreSQL server instead of starting one")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per process")
    parser.add_argument("--output", type=Path, default=REPOSITORY / "bench" / "results")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--list", action="store_true", help="list the case ids and exit")
    options = parser.parse_args(argv)
    if options.revisions < 2 or options.repeat < 1:
        parser.error("--revisions must be 2 or more and --repeat 1 or more")
    return options


def settings_from(options: argparse.Namespace) -> Settings:
    """Sizes with the defaults scaled from --revisions."""
    n = options.revisions
    tables = options.tables or tuple(sorted({max(1, n // 10), max(1, n // 2), n}))
    return Settings(n, options.large or 5 * n, tables, options.databases)


def select(cases: Sequence[CaseDef], patterns: str) -> list[CaseDef]:
    """The cases whose id matches one of the comma-separated patterns."""
    wanted = [pattern.strip() for pattern in patterns.split(",") if pattern.strip()]
    return [case for case in cases if any(fnmatch.fnmatch(case.id, p) for p in wanted)]


def start_postgresql(ws: Workspace, options: argparse.Namespace, tables: int) -> OwnServer | None:
    """Set up the PostgreSQL database of the run; return the server started for it, if any."""
    server = None
    url = options.pg_url
    if url is None:
        server = OwnServer(tables)
        try:
            server.start()
            url = server.url
        except ServerUnavailable as error:
            server.stop()
            server = None
            ws.shared_server = f"the suite could not start its own ({error})"
            url = os.environ.get("DISTILL_TEST_PG_URL", DEFAULT_PG_URL)
    else:
        ws.shared_server = "given with --pg-url"
    shown = sa.make_url(url).render_as_string(hide_password=True)
    try:
        db = PostgresDatabase(url)
        version = db.server_setting("server_version").split()[0]
    except Exception as error:  # any driver or connection failure
        ws.unavailable["postgresql"] = (
            f"PostgreSQL at {shown} is not reachable ({error.__class__.__name__})"
        )
        return server
    ws.databases["postgresql"] = db
    where = (
        f"a server started by the suite, max_locks_per_transaction={server.max_locks}"
        if server is not None
        else f"the server at {shown}, {ws.shared_server}"
    )
    ws.postgresql = f"{version} ({where})"
    return server


def progress(position: int, total: int, result: CaseResult) -> None:
    """One line per finished case on stderr."""
    parts = []
    for outcome in result.outcomes:
        shown = f"{outcome.summary().median:.3f} s" if outcome.usable else outcome.status
        parts.append(f"{outcome.name} {shown}")
    detail = ", ".join(parts) if result.status == "ran" else f"{result.status}: {result.reason}"
    print(f"[{position}/{total}] {result.case.id}: {detail}", file=sys.stderr, flush=True)


def main(argv: Sequence[str]) -> int:
    """Run the selected cases and write the results."""
    options = parse(argv)
    python = Path(sys.executable)
    ws = Workspace(Path(tempfile.mkdtemp(prefix="distill-bench-")), python)
    settings = settings_from(options)
    chosen = select(catalogue(settings, ws), options.cases)
    if options.list or not chosen:
        ws.close(keep=False)
        if options.list:
            print("\n".join(case.id for case in catalogue(settings, ws)))
            return 0
        print(f"bin/bench: no case id matches {options.cases!r}; see --list", file=sys.stderr)
        return 2
    missing = [tool for tool in (ws.alembic, ws.distill) if not tool.exists()]
    if missing:
        print(
            f"bin/bench: {missing[0]} is missing; install with pip install -e '.[dev]'",
            file=sys.stderr,
        )
        return 2
    server = None
    spawner = Spawner(python, ws.folder)
    try:
        if "sqlite" in settings.databases:
            ws.databases["sqlite"] = SqliteDatabase(ws.folder)
        if any(case.database == "postgresql" for case in chosen):
            server = start_postgresql(ws, options, max([settings.revisions, *settings.tables]))
        launcher = Launcher(spawner, child_environment(), options.timeout)
        results = []
        for position, case in enumerate(chosen, start=1):
            results.append(run_case(case, options.repeat, launcher))
            progress(position, len(chosen), results[-1])
    finally:
        spawner.close()
        ws.close(options.keep)
        if server is not None:
            server.stop()
    if options.keep:
        print(f"work folder kept: {ws.folder}", file=sys.stderr)
    meta: dict[str, object] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(ws.postgresql),
        "commit": commit(REPOSITORY),
        "command": shlex.join(["bin/bench", *argv]),
        "repeat": options.repeat,
        "settings": {
            "revisions": settings.revisions,
            "large": settings.large,
            "tables": list(settings.tables),
            "databases": list(settings.databases),
        },
    }
    table = markdown(results, meta)
    options.output.mkdir(parents=True, exist_ok=True)
    (options.output / "latest.json").write_text(json.dumps(as_json(results, meta), indent=2) + "\n")
    (options.output / "latest.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
