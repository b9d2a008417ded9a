"""The benchmark cases: what each runs, against which floors, and the target it has."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.databases import Database, PostgresDatabase
from bench.ddl import compiled, create_elements, downgrade_elements, upgrade_elements
from bench.measure import Run
from bench.projects import Project
from bench.server import LOCKS_PER_TABLE
from bench.workspace import REPOSITORY, Workspace

# A problem found after a run that exited 0 (None: the run did what it should).
Check = Callable[[Run], "str | None"]
# The revision id both tools give the file autogenerate writes.
AUTOGENERATE_ID = "b0b0b0b0b0b0"
# What stands in for a PostgreSQL URL where nothing connects (--sql).
OFFLINE_PG_URL = "postgresql+psycopg://postgres@127.0.0.1/offline"


# The signs the table uses.
TIMES = "\u00d7"
DASH = "\u2013"


class Skip(Exception):
    """A case that cannot run here; the message says why."""


@dataclass(frozen=True)
class Participant:
    """One command timed in a case: a tool, or a floor that does the same work bare."""

    name: str
    argv: tuple[str, ...]
    cwd: Path
    floor: bool = False
    check: Check | None = None


@dataclass(frozen=True)
class Target:
    """The issue's goal for a case: distill/Alembic and distill/floor ratios at most these."""

    vs_alembic: float | None = None
    vs_floor: tuple[tuple[str, float], ...] = ()

    def describe(self) -> str:
        """The goal as the issue writes it, e.g. `≤ 0.5 and ≤ 1.3x DBAPI` (with a times sign)."""
        parts = [] if self.vs_alembic is None else [f"≤ {self.vs_alembic:g}"]
        parts += [f"≤ {bound:g}{TIMES} {name}" for name, bound in self.vs_floor]
        return " and ".join(parts)

    def met(self, ratios: dict[str, float]) -> bool | None:
        """Whether the measured ratios (keyed "Alembic" or a floor's name) meet it."""
        bounds = [] if self.vs_alembic is None else [("Alembic", self.vs_alembic)]
        bounds += list(self.vs_floor)
        if any(name not in ratios for name, _ in bounds):
            return None
        return all(ratios[name] <= bound for name, bound in bounds)


@dataclass
class Case:
    """A case ready to run: its participants and what restores the state before each run."""

    participants: list[Participant]
    reset: Callable[[], None] | None = None


@dataclass(frozen=True)
class CaseDef:
    """A case of the catalogue; `build` makes its projects and databases when it runs."""

    id: str
    title: str
    build: Callable[[], Case]
    database: str | None = None
    size: int | None = None
    target: Target | None = None


@dataclass(frozen=True)
class Settings:
    """Sizes and databases of one benchmark run."""

    revisions: int
    large: int
    tables: tuple[int, ...]
    databases: tuple[str, ...] = field(default=("sqlite", "postgresql"))


def prints(text: str) -> Check:
    """The run's output must contain `text`."""
    return lambda run: None if text in run.stdout else f"{text!r} is not in its output"


def database_at(database: Database, versions: list[str], tables: int) -> Check:
    """The database must hold exactly `versions` and `tables` tables after the run."""

    def check(run: Run) -> str | None:
        found = database.versions()
        if found != versions:
            return f"the version table holds {found or 'nothing'}, expected {versions or 'nothing'}"
        count = len(database.tables())
        return None if count == tables else f"the database has {count} tables, expected {tables}"

    return check


def wrote_revision(project: Project, with_tables: bool) -> Check:
    """Autogenerate must write one file naming every table (or none of them: a no-op)."""

    def check(run: Run) -> str | None:
        files = list(project.versions.glob("*.py"))
        if len(files) != 1:
            return f"{len(files)} revision files written, expected 1"
        text = files[0].read_text()
        named = sum(spec.name in text for spec in project.tables)
        expected = len(project.tables) if with_tables else 0
        return None if named == expected else f"{named} tables in the revision, expected {expected}"

    return check


def tools(ws: Workspace, folder: Path, args: Sequence[str], check: Check) -> list[Participant]:
    """Alembic and distill running the same command in the same project folder."""
    return [
        Participant("Alembic", (str(ws.alembic), *args), folder, check=check),
        Participant("distill", (str(ws.distill), *args), folder, check=check),
    ]


def floor(ws: Workspace, name: str, *args: str, check: Check | None = None) -> Participant:
    """A floor process (run from the repository, though it needs no particular folder)."""
    return Participant(name, ws.floor(*args), REPOSITORY, floor=True, check=check)


def per_revision_floor(ws: Workspace, db: Database, script: Path, check: Check) -> Participant:
    """The DBAPI floor committing after every revision, as distill runs by default."""
    return floor(
        ws,
        "DBAPI, a commit per revision",
        "dbapi-per-revision",
        db.driver,
        db.target,
        str(script),
        check=check,
    )


def database(ws: Workspace, name: str) -> Database:
    """The database `name` of this run, or Skip with the reason it is missing."""
    if name not in ws.databases:
        raise Skip(ws.unavailable.get(name, f"{name} is not set up"))
    return ws.databases[name]


def head_template(ws: Workspace, db: Database, project: Project) -> str:
    """A template of the database at the project's head (built once); its name."""
    name = f"head-{project.folder.name}"
    if not db.has_template(name):
        db.build_template(name, compiled(upgrade_elements(project.steps), db.url))
    return name


def help_case(ws: Workspace) -> Case:
    """`--help`: start-up and nothing else."""
    python = Participant("bare Python", (str(ws.python), "-c", "pass"), ws.folder, floor=True)
    return Case([*tools(ws, ws.folder, ["--help"], prints("upgrade")), python])


def listing_case(ws: Workspace, project: Project, command: str) -> Case:
    """`heads` or `history`: reading the revision files and walking the graph."""
    reading = floor(ws, "reading every file", "read", str(project.versions))
    return Case([*tools(ws, project.folder, [command], prints(project.head)), reading])


def at_head_case(ws: Workspace, count: int, args: Sequence[str]) -> Case:
    """A command on a SQLite database already at head: read the version table and stop."""
    db, project = database(ws, "sqlite"), ws.linear(count)
    project.set_url(db.url)
    db.restore(head_template(ws, db, project))
    check = (
        prints(project.head) if args[0] == "current" else database_at(db, [project.head], count + 1)
    )
    reading = floor(ws, "DBAPI version read", "version", db.driver, db.target)
    # what env.py itself costs any tool: SQLAlchemy's import, an engine, one query
    starting = floor(ws, "env.py start-up", "env-start", db.url)
    return Case([*tools(ws, project.folder, args, check), reading, starting])


def upgrade_case(ws: Workspace, name: str, count: int) -> Case:
    """`upgrade head` on an empty database, beside the same DDL run bare."""
    db, project = database(ws, name), ws.linear(count)
    project.set_url(db.url)
    check = database_at(db, [project.head], count + 1)
    script = ws.statements_file(
        f"{name}-upgrade-{count}", compiled(upgrade_elements(project.steps), db.url)
    )
    return Case(
        [
            *tools(ws, project.folder, ["upgrade", "head"], check),
            floor(ws, "DBAPI", "dbapi", db.driver, db.target, str(script), check=check),
            per_revision_floor(ws, db, script, check),
            floor(ws, "SQLAlchemy", "sqlalchemy", db.url, "upgrade", str(count), check=check),
        ],
        reset=db.empty,
    )


def downgrade_case(ws: Workspace, name: str, count: int) -> Case:
    """`downgrade base` from head, beside the same DROPs run bare."""
    db = database(ws, name)
    if isinstance(db, PostgresDatabase) and ws.shared_server is not None:
        capacity = int(db.server_setting("max_locks_per_transaction")) * int(
            db.server_setting("max_connections")
        )
        if capacity < count * LOCKS_PER_TABLE:
            raise Skip(
                f"the server's lock table ({capacity} locks) cannot hold Alembic's "
                f"one-transaction downgrade of {count} revisions on the server at hand "
                f"({ws.shared_server})"
            )
    project = ws.linear(count)
    project.set_url(db.url)
    template = head_template(ws, db, project)
    check = database_at(db, [], 1)
    script = ws.statements_file(
        f"{name}-downgrade-{count}", compiled(downgrade_elements(project.steps), db.url)
    )
    return Case(
        [
            *tools(ws, project.folder, ["downgrade", "base"], check),
            floor(ws, "DBAPI", "dbapi", db.driver, db.target, str(script), check=check),
            per_revision_floor(ws, db, script, check),
            floor(ws, "SQLAlchemy", "sqlalchemy", db.url, "downgrade", str(count), check=check),
        ],
        reset=lambda: db.restore(template),
    )


def offline_case(ws: Workspace, count: int) -> Case:
    """`upgrade head --sql` for PostgreSQL, beside SQLAlchemy compiling the same DDL."""
    project = ws.linear(count)
    project.set_url(OFFLINE_PG_URL)
    check = prints(project.head)
    compiling = floor(ws, "SQLAlchemy compile", "compile", OFFLINE_PG_URL, str(count), check=check)
    return Case([*tools(ws, project.folder, ["upgrade", "head", "--sql"], check), compiling])


def autogenerate_case(ws: Workspace, name: str, count: int, at_models: bool) -> Case:
    """`revision --autogenerate` against a database at the models, or an empty one."""
    db, project = database(ws, name), ws.models(count)
    project.set_url(db.url)
    template = f"models-{count}"
    if at_models and not db.has_template(template):
        db.build_template(template, compiled(create_elements(project.tables), db.url))

    def reset() -> None:
        for path in project.versions.glob("*.py"):
            path.unlink()
        if at_models:
            db.restore(template)
        else:
            db.empty()

    args = ["revision", "--autogenerate", "-m", "bench", "--rev-id", AUTOGENERATE_ID]
    participants = tools(ws, project.folder, args, wrote_revision(project, not at_models))
    if at_models:
        participants.append(floor(ws, "one bulk reflection", "reflect", db.url))
    else:
        participants.append(
            Participant(
                "importing the models",
                (str(ws.python), "-c", "import models"),
                project.folder,
                floor=True,
            )
        )
    return Case(participants, reset=reset)


def branched_upgrade_case(ws: Workspace, count: int) -> Case:
    """`upgrade head` through a history that forks and merges, on SQLite."""
    db, project = database(ws, "sqlite"), ws.branched(count)
    project.set_url(db.url)
    check = database_at(db, [project.head], len(project.tables) + 1)
    return Case(tools(ws, project.folder, ["upgrade", "head"], check), reset=db.empty)


def fleet_case(ws: Workspace, tenants: int, count: int) -> Case:
    """`fleet upgrade head` over `tenants` empty SQLite files, beside a shell loop of
    `alembic upgrade head` over the same files (both without backups)."""
    import sqlite3

    project = ws.fleet(count)
    folder = ws.folder / f"fleet-tenants-{tenants}"
    files = [folder / f"tenant{number:03d}.db" for number in range(tenants)]
    targets = ws.folder / f"fleet-targets-{tenants}.txt"
    targets.write_text("".join(f"{path.stem} sqlite:///{path}\n" for path in files))
    loop = ws.folder / f"fleet-alembic-loop-{tenants}.sh"
    loop.write_text(
        "set -e\n"
        + "".join(f"{ws.alembic} -x url=sqlite:///{path} upgrade head\n" for path in files)
    )

    def reset() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for leftover in folder.iterdir():
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()

    def check(run: Run) -> str | None:
        for path in files:
            try:
                with sqlite3.connect(path) as connection:
                    rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
            except sqlite3.Error as error:
                return f"{path.name}: {error}"
            if rows != [(project.head,)]:
                return f"{path.name} is at {rows}, expected {project.head}"
        return None

    argv = ("fleet", "upgrade", "head", "--targets", str(targets), "--no-backup")
    return Case(
        [
            Participant(
                "Alembic",
                (shutil.which("bash") or "/bin/bash", str(loop)),
                project.folder,
                check=check,
            ),
            Participant("distill", (str(ws.distill), "-q", *argv), project.folder, check=check),
        ],
        reset=reset,
    )
