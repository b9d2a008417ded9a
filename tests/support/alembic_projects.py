"""Real Alembic projects for parity tests: made by `alembic init` and `alembic revision`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

OWN_PREFIX = "distill_"  # distill's own objects (the applied-revision log) are left out


@dataclass(frozen=True)
class Rev:
    """A revision to create: its id, parents, message and upgrade/downgrade bodies."""

    rev_id: str
    parents: tuple[str, ...]
    message: str
    upgrade: str
    downgrade: str
    branch_label: str | None = None
    depends_on: tuple[str, ...] = ()
    preamble: str = ""  # module-level code (imports, tables) placed before upgrade()


def run(
    tool: str, project: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `alembic` or `distill` in a subprocess in the project folder."""
    module = {"alembic": "alembic", "distill": "distill"}[tool]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{tool} {' '.join(args)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def make_project(
    folder: Path, url: str, revisions: Sequence[Rev], *, env_preamble: str = ""
) -> Path:
    """Create an Alembic project with `alembic init` and one `alembic revision` per Rev.

    `env_preamble` is code added to env.py after its imports (e.g. a plugin's import).
    """
    folder.mkdir(parents=True, exist_ok=True)
    run("alembic", folder, "init", "migrations")
    set_url(folder, url)
    if env_preamble:
        env = folder / "migrations" / "env.py"
        text = env.read_text()
        anchor = "from alembic import context\n"
        env.write_text(text.replace(anchor, anchor + "\n" + env_preamble.strip() + "\n", 1))
    for rev in revisions:
        args = ["revision", "--rev-id", rev.rev_id, "-m", rev.message]
        if rev.parents:
            head = rev.parents[0]
            args += ["--head", head]
            if len(rev.parents) > 1:
                args = ["merge", *rev.parents, "--rev-id", rev.rev_id, "-m", rev.message]
            else:
                args += ["--splice"]
        else:
            args += ["--head", "base"]
        if rev.branch_label:
            args += ["--branch-label", rev.branch_label]
        for dep in rev.depends_on:
            args += ["--depends-on", dep]
        run("alembic", folder, *args)
        path = next((folder / "migrations" / "versions").glob(f"{rev.rev_id}_*.py"))
        _fill(path, rev)
    return folder


def set_url(folder: Path, url: str) -> None:
    """Point the project's alembic.ini at `url`."""
    ini = folder / "alembic.ini"
    text = ini.read_text()
    text = re.sub(
        r"^sqlalchemy\.url = .*$", f"sqlalchemy.url = {url.replace('%', '%%')}", text, flags=re.M
    )
    ini.write_text(text)


def copy_project(template: Path, folder: Path, url: str, keep: Sequence[str] | None = None) -> Path:
    """A copy of a made project using `url`; with `keep`, only those revision ids' files."""
    shutil.copytree(template, folder, ignore=shutil.ignore_patterns("__pycache__"))
    if keep is not None:
        for path in (folder / "migrations" / "versions").glob("*.py"):
            if path.name.split("_", 1)[0] not in keep:
                path.unlink()
    set_url(folder, url)
    return folder


def _fill(path: Path, rev: Rev) -> None:
    """Replace the generated upgrade()/downgrade() with the Rev's bodies."""
    text = path.read_text()
    head = text[: text.index("def upgrade()")]
    if rev.preamble:
        head = head.rstrip("\n") + "\n\n" + rev.preamble.strip("\n") + "\n\n\n"
    body = (
        "def upgrade() -> None:\n" + _indent(rev.upgrade) + "\n\n"
        "def downgrade() -> None:\n" + _indent(rev.downgrade) + "\n"
    )
    path.write_text(head + body)


def _indent(code: str) -> str:
    """Indent a function body by four spaces."""
    lines = code.strip("\n").splitlines() or ["pass"]
    return "\n".join("    " + line if line.strip() else "" for line in lines)


def snapshot(url: str) -> dict[str, Any]:
    """Reflect tables: columns, keys, constraints, indexes, defaults, comments and rows."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            # SQLite cannot reflect expression indexes and says so; both sides skip them alike
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression")
            inspector = sa.inspect(conn)
            tables: dict[str, Any] = {}
            for name in sorted(inspector.get_table_names()):
                if name.startswith(OWN_PREFIX):
                    continue  # distill's own log: the comparison is of the project's tables
                rows = conn.execute(sa.text(f"SELECT * FROM {_quote(conn, name)}")).all()
                tables[name] = {
                    "columns": [
                        (c["name"], str(c["type"]), c["nullable"])
                        for c in inspector.get_columns(name)
                    ],
                    "pk": inspector.get_pk_constraint(name)["constrained_columns"],
                    "fks": sorted(
                        (
                            tuple(f["constrained_columns"]),
                            f["referred_table"],
                            tuple(f["referred_columns"]),
                        )
                        for f in inspector.get_foreign_keys(name)
                    ),
                    "indexes": sorted(
                        (i["name"], tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
                        for i in inspector.get_indexes(name)
                    ),
                    "rows": sorted(tuple(str(v) for v in row) for row in rows),
                    **_details(inspector, name),
                }
            return tables
    finally:
        engine.dispose()


def _details(inspector: sa.Inspector, name: str) -> dict[str, Any]:
    """Constraint names and options, comments, defaults and partial-index predicates."""
    columns = inspector.get_columns(name)
    return {
        "pk_name": inspector.get_pk_constraint(name).get("name"),
        "fk_details": sorted(
            (
                str(f["name"]),
                tuple(f["constrained_columns"]),
                f["referred_table"],
                tuple(sorted((f.get("options") or {}).items())),
            )
            for f in inspector.get_foreign_keys(name)
        ),
        "uniques": sorted(
            (str(u["name"]), tuple(u["column_names"]))
            for u in _reflect(inspector.get_unique_constraints, name)
        ),
        "checks": sorted(
            (str(c["name"]), " ".join(str(c["sqltext"]).split()))
            for c in _reflect(inspector.get_check_constraints, name)
        ),
        "index_options": sorted(
            (
                str(i["name"]),
                tuple(str(e) for e in i.get("expressions") or ()),
                tuple(sorted((k, str(v)) for k, v in (i.get("dialect_options") or {}).items())),
            )
            for i in inspector.get_indexes(name)
        ),
        "defaults": {c["name"]: c.get("default") for c in columns},
        "comments": {c["name"]: c.get("comment") for c in columns},
        "table_comment": _table_comment(inspector, name),
    }


def _reflect(method: Any, name: str) -> list[dict[str, Any]]:
    """What a reflection method returns, or nothing where the dialect cannot tell."""
    try:
        return list(method(name))
    except NotImplementedError:
        return []


def _table_comment(inspector: sa.Inspector, name: str) -> str | None:
    """The table's comment, None where the dialect has none."""
    try:
        return inspector.get_table_comment(name).get("text")
    except NotImplementedError:
        return None


def database_objects(url: str) -> dict[str, Any]:
    """Views everywhere; on PostgreSQL also enum types, functions and every constraint."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            result: dict[str, Any] = {
                "views": {
                    view: " ".join(str(inspector.get_view_definition(view)).split())
                    for view in sorted(inspector.get_view_names())
                }
            }
            if conn.dialect.name == "postgresql":
                result["enums"] = {
                    e["name"]: list(e["labels"]) for e in inspector.get_enums(schema="public")
                }
                functions = conn.execute(
                    sa.text(
                        "SELECT p.proname, pg_get_function_identity_arguments(p.oid), "
                        "pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n "
                        "ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1, 2"
                    )
                ).all()
                result["functions"] = [tuple(row) for row in functions]
                constraints = conn.execute(
                    sa.text(
                        "SELECT c.conrelid::regclass::text, c.conname, c.contype, "
                        "pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n "
                        "ON n.oid = c.connamespace WHERE n.nspname = 'public' "
                        "AND c.conrelid::regclass::text NOT LIKE 'distill\\_%' ORDER BY 1, 2"
                    )
                ).all()
                result["constraints"] = [tuple(row) for row in constraints]
            return result
    finally:
        engine.dispose()


def _quote(conn: sa.Connection, name: str) -> str:
    """Quote a table name for the connection's dialect."""
    return conn.dialect.identifier_preparer.quote(name)


def run_script(url: str, script: str) -> None:
    """Execute an offline SQL script, statement by statement, on the database."""
    statements = [s.strip() for s in re.split(r";\s*\n\s*\n", script) if s.strip()]
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            cursor = raw.cursor()
            if conn.dialect.name == "postgresql":
                # as psql would: one go, so $$-quoted bodies with `;` inside stay whole
                raw.autocommit = True  # type: ignore[attr-defined]
                cursor.execute(script)
                return
            for statement in statements:
                statement = statement.rstrip(";")
                if statement.startswith("--"):
                    statement = "\n".join(
                        line for line in statement.splitlines() if not line.startswith("--")
                    ).strip()
                if not statement:
                    continue
                if statement.upper() in ("BEGIN", "COMMIT"):
                    continue
                cursor.execute(statement)
                if cursor.description is not None:  # INSERT ... RETURNING
                    cursor.fetchall()
            raw.commit()
    finally:
        engine.dispose()
