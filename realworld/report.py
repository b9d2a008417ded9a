"""The results table, written to docs/real-world.md."""

from __future__ import annotations

import ast
import datetime
from collections.abc import Mapping, Sequence
from pathlib import Path

from realworld.packages import PackageSpec
from realworld.runner import StepResult

DETAILS = 8  # differences shown per step in the table


def _short(difference: str, limit: int = 260) -> str:
    """One difference cut to a table-friendly length."""
    return difference if len(difference) <= limit else difference[: limit - 3] + "..."


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def render(
    results: Sequence[StepResult],
    specs: Sequence[PackageSpec],
    package_versions: Mapping[str, Mapping[str, str]],
    server_versions: Mapping[str, str],
    commit: str,
    command: str,
) -> str:
    """The Markdown page: how it was run, on what, and one row per step."""
    today = datetime.date.today().isoformat()
    counts = {
        s: sum(1 for r in results if r.status == s)
        for s in ("identical", "deliberate", "different", "failed", "skipped")
    }
    lines = [
        "# Real-world parity: published Alembic histories under Alembic and distill",
        "",
        "Each package's own migration history runs with Alembic 1.20.1 and with distill, each",
        "tool on its own fresh database: `upgrade head`, `downgrade` as far as the history",
        "allows, `upgrade head` again. After every step the two databases are compared:",
        "tables, columns (type, default, nullability), indexes, primary/unique/check/foreign-key",
        "constraints with names and options, PostgreSQL enums and sequences, the version rows,",
        "and per table the row count and a hash of the sorted rows.",
        "",
        "Run it with `bin/real-world` (`--help` for the options); it is not part of `bin/test`.",
        "Each package gets a throwaway venv (the package, `alembic==1.20.1`, the drivers and",
        "distill from this checkout, editable) under `$DISTILL_REALWORLD_CACHE` (default",
        "`~/.cache/distill-realworld`); `--reuse-venv` keeps it between runs. Both tools run",
        "as subprocesses (the venv's `alembic` and `distill` scripts) on the same generated",
        "`alembic.ini`, side by side, each on its own fresh database.",
        "",
        "When distill fails a revision that Alembic ran, the suite *bridges*: it empties",
        "distill's database, lets Alembic replay the earlier steps and the failing revision",
        "on it, and resumes distill from there, so one run lists every revision distill",
        "fails, not only the first. The databases are compared after the bridge, so a",
        "schema difference in a step that also failed comes from revisions distill ran.",
        "",
        "A difference README.md lists as deliberate is recognised by its shape",
        "(`realworld/deliberate.py`) and shown with the bullet that explains it; a step whose",
        "differences are all deliberate reads `deliberate`.",
        "",
        "Limits: the databases are empty apart from what the migrations insert, so the data",
        "digests only see seeded rows; MariaDB stands for MySQL (Airflow and Prefect do not",
        "support it and are not run there).",
        "",
        f"Last run: {today}, distill commit `{commit}`, command `{command}`.",
        "",
        "Databases: " + ", ".join(f"{b}: {v}" for b, v in server_versions.items()) + ".",
        "",
        "## Packages",
        "",
        "| package | version | Alembic / SQLAlchemy | env.py | databases | downgrade to |",
        "|---|---|---|---|---|---|",
    ]
    for spec in specs:
        versions = package_versions.get(spec.name, {})
        lines.append(
            f"| {spec.name} | {versions.get(spec.distribution, '?')} | "
            f"{versions.get('alembic', '?')} / {versions.get('sqlalchemy', '?')} | "
            f"{_cell(spec.env_note)} | {', '.join(spec.backends)} | "
            f"`{spec.downgrade_floor}`{': ' + _cell(spec.floor_note) if spec.floor_note else ''} |"
        )
    lines += [
        "",
        "## Results",
        "",
        f"{counts['identical']} identical, {counts['deliberate']} with only deliberate "
        f'differences (README.md, "Where distill deliberately differs"), '
        f"{counts['different']} different, {counts['failed']} failed under both tools, "
        f"{counts['skipped']} skipped.",
        "",
        "| package | database | step | result | details |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        listed = [*result.differences, *result.deliberate]
        shown = [_short(d) for d in listed[:DETAILS]]
        detail = result.skipped or "; ".join(shown)
        if len(listed) > DETAILS:
            detail += f" (+{len(listed) - DETAILS} more)"
        cells = (result.package, result.backend, result.step, result.status, _cell(detail))
        lines.append("| " + " | ".join(cells) + " |")
    lines += _reproductions()
    return "\n".join(lines) + "\n"


REPROS = Path(__file__).parent / "repros"


def _reproductions() -> list[str]:
    """A section listing each minimal reproduction with its docstring."""
    lines = [
        "",
        "## Minimal reproductions",
        "",
        "Each difference found is cut down to a tiny history in `realworld/repros/`;",
        "`.venv/bin/python -m realworld.repro NAME` runs it under both tools and prints the",
        "differences (no name: all of them).",
        "",
    ]
    for path in sorted(REPROS.glob("*.py")):
        if path.stem == "__init__":
            continue
        tree = ast.parse(path.read_text())
        doc = ast.get_docstring(tree) or ""
        title, _, rest = doc.partition("\n")
        line = f"- `{path.stem}`: {title.strip()} {' '.join(rest.split())}".rstrip()
        status = _status(tree)
        lines.append(line + (f" **Now:** {status}" if status else ""))
    return lines


def _status(tree: ast.Module) -> str:
    """The repro's STATUS string (identical with its regression test, deliberate, open)."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "STATUS" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return str(node.value.value)
    return ""


def write(path: Path, text: str) -> None:
    """Write the page."""
    path.write_text(text)
