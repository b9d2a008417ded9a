"""Run a minimal reproduction (a tiny history in realworld/repros/) under both tools."""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

from realworld import databases, deliberate, snapshot
from realworld.compare import Outcome, compare_outcomes, compare_snapshots, summarise
from realworld.runner import ENVS, TOOLS
from realworld.workspace import CHECKOUT, Venv, cache_root, run_tool, write_project

REPROS = Path(__file__).parent / "repros"

_REVISION = '''"""{rev}"""
import sqlalchemy as sa
from alembic import op

revision = {rev!r}
down_revision = {parent!r}
branch_labels = None
depends_on = None
{preamble}

def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''


def write_history(folder: Path, module: ModuleType) -> None:
    """One revision file per entry of the repro's REVISIONS, in a line.

    An entry is (id, upgrade body, downgrade body) with an optional fourth item: code
    placed at the top of that revision file only.
    """
    folder.mkdir(parents=True, exist_ok=True)
    parent = None
    for rev, upgrade, downgrade, *own in module.REVISIONS:
        preamble = getattr(module, "PREAMBLE", "") + (own[0] if own else "")
        text = _REVISION.format(
            rev=rev,
            parent=parent,
            preamble=textwrap.dedent(preamble),
            upgrade=textwrap.indent(textwrap.dedent(upgrade).strip() or "pass", "    "),
            downgrade=textwrap.indent(textwrap.dedent(downgrade).strip() or "pass", "    "),
        )
        (folder / f"{rev}.py").write_text(text)
        parent = rev
    for name, text in getattr(module, "EXTRA_FILES", {}).items():
        (folder / name).write_text(textwrap.dedent(text))


def run(name: str, backends: list[str]) -> bool:
    """Run repro `name` on each backend; print one line per command; True if all alike."""
    module = importlib.import_module(f"realworld.repros.{name}")
    venv = Venv(CHECKOUT / ".venv")
    alike = True
    for backend in backends:
        if backend not in getattr(module, "BACKENDS", databases.BACKENDS):
            continue
        workdir = cache_root() / "repros" / f"{name}-{backend}"
        shutil.rmtree(workdir, ignore_errors=True)
        write_history(workdir / "versions", module)
        urls = {
            tool: databases.create(backend, f"repro_{tool[0]}", workdir / "db") for tool in TOOLS
        }
        try:
            projects = {
                tool: write_project(
                    workdir / tool,
                    urls[tool],
                    workdir,
                    (workdir / "versions",),
                    (ENVS / "sync_env.py").read_text(),
                    {
                        "realworld.configure": json.dumps(getattr(module, "CONFIGURE", {})),
                        "realworld.sqlite_foreign_keys": str(
                            getattr(module, "SQLITE_FOREIGN_KEYS", False)
                        ).lower(),
                    },
                )
                for tool in TOOLS
            }
            for command in getattr(module, "COMMANDS", [("upgrade", "head")]):
                run = _through_api if getattr(module, "THROUGH_API", False) else _through_cli
                outcomes = {tool: run(venv, tool, projects[tool], command) for tool in TOOLS}
                snaps = {tool: snapshot.take(urls[tool]) for tool in TOOLS}
                differences = compare_outcomes(outcomes["alembic"], outcomes["distill"])
                differences += compare_snapshots(snaps["alembic"], snaps["distill"])
                unexplained, explained = deliberate.split(name, backend, differences)
                alike = alike and not unexplained
                text = summarise(unexplained, 4)
                if explained and not unexplained:
                    text = summarise(explained, 4).partition(": ")[2]
                print(f"{name} {backend} {' '.join(command)}: {text}")
        finally:
            for url in urls.values():
                databases.drop(url)
    return alike


def _through_cli(venv: Venv, tool: str, ini: Path, command: tuple[str, ...]) -> Outcome:
    """The command run by the tool's console script."""
    return run_tool(venv, tool, ini, command, {}, ini.parent / "run.log")


_API_CALL = """
import sys
if sys.argv[1] == "alembic":
    from alembic import command
    from alembic.config import Config
else:
    from distill import command
    from distill.config import Config
try:
    getattr(command, sys.argv[3])(Config(sys.argv[2]), *sys.argv[4:])
except Exception as error:
    print(f"raised {type(error).__module__}.{type(error).__name__}: {error}")
    sys.exit(1)
"""


def _through_api(venv: Venv, tool: str, ini: Path, command: tuple[str, ...]) -> Outcome:
    """The command called as `command.<name>(Config(ini), ...)`; the error is the type raised."""
    result = subprocess.run(
        [str(venv.bin / "python"), "-c", _API_CALL, tool, str(ini), *command],
        capture_output=True,
        text=True,
        cwd=ini.parent,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("raised ")]
    return Outcome(result.returncode, lines[-1][:300] if lines else result.stderr[-300:])


def main(argv: list[str] | None = None) -> int:
    """`python -m realworld.repro NAME... [-d BACKEND]`: exit 1 when a repro shows a difference."""
    parser = argparse.ArgumentParser(prog="python -m realworld.repro")
    parser.add_argument("names", nargs="*", help="repro modules (default: all)")
    parser.add_argument("-d", "--database", action="append", choices=databases.BACKENDS)
    options = parser.parse_args(argv)
    names = options.names or sorted(p.stem for p in REPROS.glob("*.py") if p.stem != "__init__")
    results = [run(name, options.database or list(databases.BACKENDS)) for name in names]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
