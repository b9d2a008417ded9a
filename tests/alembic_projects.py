"""Real Alembic projects for parity tests: made by `alembic init` and `alembic revision`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa


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


def make_project(folder: Path, url: str, revisions: Sequence[Rev]) -> Path:
    """Create an Alembic project with `alembic init` and one `alembic revision` per Rev."""
    folder.mkdir(parents=True, exist_ok=True)
    run("alembic", folder, "init", "migrations")
    ini = folder / "alembic.ini"
    text = ini.read_text()
    text = re.sub(
        r"^sqlalchemy\.url = .*$", f"sqlalchemy.url = {url.replace('%', '%%')}", text, flags=re.M
    )
    ini.write_text(text)
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


def _fill(path: Path, rev: Rev) -> None:
    """Replace the generated upgrade()/downgrade() with the Rev's bodies."""
    text = path.read_text()
    head = text[: text.index("def upgrade()")]
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
    """Reflect tables, columns, keys, indexes, version rows and row contents."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            tables: dict[str, Any] = {}
            for name in sorted(inspector.get_table_names()):
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
                }
            return tables
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
            if conn.dialect.name == "postgresql":
                raw.autocommit = True  # type: ignore[attr-defined]
            cursor = raw.cursor()
            for statement in statements:
                statement = statement.rstrip(";")
                if statement.startswith("--"):
                    statement = "\n".join(
                        line for line in statement.splitlines() if not line.startswith("--")
                    ).strip()
                if not statement:
                    continue
                if statement.upper() in ("BEGIN", "COMMIT"):
                    if conn.dialect.name == "postgresql":
                        cursor.execute(statement)
                    continue
                cursor.execute(statement)
                if cursor.description is not None:  # INSERT ... RETURNING
                    cursor.fetchall()
            raw.commit()
    finally:
        engine.dispose()
