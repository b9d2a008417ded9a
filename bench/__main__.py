"""`python -m bench` (or `bin/bench`): run the cases, write JSON and Markdown, print the table."""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from bench.catalogue import catalogue
from bench.cli import parse, select, settings_from
from bench.databases import PostgresDatabase, SqliteDatabase
from bench.measure import Spawner
from bench.report import as_json, commit, machine, markdown
from bench.runner import CaseResult, Launcher, run_case
from bench.server import OwnServer, ServerUnavailable
from bench.workspace import REPOSITORY, Workspace, child_environment

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def start_postgresql(ws: Workspace, pg_url: str | None, tables: int) -> None:
    """Set up the PostgreSQL database of the run, on a server of its own when it can."""
    url = pg_url
    if url is None:
        ws.server = OwnServer(tables)  # the workspace stops it, however the run ends
        try:
            ws.server.start()
            url = ws.server.url
        except ServerUnavailable as error:
            ws.server.stop()
            ws.server = None
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
        return
    ws.databases["postgresql"] = db
    where = (
        f"a server started by the suite, max_locks_per_transaction={ws.server.max_locks}"
        if ws.server is not None
        else f"the server at {shown}, {ws.shared_server}"
    )
    ws.postgresql = f"{version} ({where})"


def progress(position: int, total: int, result: CaseResult) -> None:
    """One line per finished case on stderr."""
    parts = []
    for outcome in result.outcomes:
        shown = f"{outcome.summary().median:.3f} s" if outcome.usable else outcome.status
        parts.append(f"{outcome.name} {shown}")
    detail = ", ".join(parts) if result.status == "ran" else f"{result.status}: {result.reason}"
    print(f"[{position}/{total}] {result.case.id}: {detail}", file=sys.stderr, flush=True)


def write(output: Path, results: Sequence[CaseResult], meta: dict[str, object]) -> str:
    """Write latest.json and latest.md (after every case, so a stopped run keeps its cases)."""
    table = markdown(results, meta)
    output.mkdir(parents=True, exist_ok=True)
    data = json.dumps(as_json(results, meta), indent=2, ensure_ascii=False)
    (output / "latest.json").write_text(data + "\n")
    (output / "latest.md").write_text(table)
    return table


def main(argv: Sequence[str]) -> int:
    """Run the selected cases and write the results."""
    options = parse(argv)
    python = Path(sys.executable)
    missing = [tool for tool in ("alembic", "distill") if not (python.parent / tool).exists()]
    if missing:
        print(f"bin/bench: {python.parent / missing[0]} is missing; run "
              "pip install -e '.[dev]' in this venv", file=sys.stderr)  # fmt: skip
        return 2
    settings = settings_from(options)
    ws = Workspace(Path(tempfile.mkdtemp(prefix="distill-bench-")), python)
    chosen = select(catalogue(settings, ws), options.cases)
    if options.list or not chosen:
        ws.close(keep=False)
        if options.list:
            print("\n".join(case.id for case in catalogue(settings, ws)))
            return 0
        print(f"bin/bench: no case id matches {options.cases!r}; see --list", file=sys.stderr)
        return 2
    meta: dict[str, object] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
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
    spawner = Spawner(python, ws.folder)
    results: list[CaseResult] = []
    table = ""
    try:
        if "sqlite" in settings.databases:
            ws.databases["sqlite"] = SqliteDatabase(ws.folder)
        if any(case.database == "postgresql" for case in chosen):
            start_postgresql(ws, options.pg_url, max([settings.revisions, *settings.tables]))
        meta["machine"] = machine(ws.postgresql)
        launcher = Launcher(spawner, child_environment(), options.timeout)
        for position, case in enumerate(chosen, start=1):
            results.append(run_case(case, options.repeat, launcher))
            progress(position, len(chosen), results[-1])
            table = write(options.output, results, meta)
    finally:
        spawner.close()
        ws.close(options.keep)
    if options.keep:
        print(f"work folder kept: {ws.folder}", file=sys.stderr)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
