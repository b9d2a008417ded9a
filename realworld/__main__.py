"""`bin/real-world`: run published Alembic histories under Alembic and distill, compare."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import asdict

from realworld import databases, report
from realworld.packages import PACKAGES, by_name
from realworld.runner import StepResult, run_package
from realworld.workspace import CHECKOUT, cache_root, ensure_venv


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="bin/real-world",
        description="Run published Alembic histories under Alembic 1.20.1 and distill and "
        "compare the databases after each step. Venvs and scratch files go under "
        "$DISTILL_REALWORLD_CACHE (default ~/.cache/distill-realworld).",
    )
    names = ", ".join(spec.name for spec in PACKAGES)
    parser.add_argument(
        "-p", "--package", action="append", help=f"one of: {names} (repeatable; default all)"
    )
    parser.add_argument(
        "-d",
        "--database",
        action="append",
        choices=databases.BACKENDS,
        help="sqlite, postgresql or mysql (repeatable; default all a package supports)",
    )
    parser.add_argument(
        "--reuse-venv", action="store_true", help="keep an existing venv, only top it up"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the databases (projects and logs always stay in the cache's runs/)",
    )
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/real-world.md")
    return parser.parse_args(argv)


def _commit() -> str:
    """distill's commit, with a mark when the checkout has uncommitted changes."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=CHECKOUT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"], cwd=CHECKOUT, capture_output=True, text=True
    ).stdout.strip()
    return head + (" (with uncommitted changes in src)" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    """Run every chosen package on every chosen database; exit 1 if anything differs."""
    options = _arguments(argv)
    try:
        specs = by_name(options.package)
    except ValueError as error:
        print(f"bin/real-world: {error}", file=sys.stderr)
        return 2
    wanted = options.database or list(databases.BACKENDS)
    root = cache_root()
    runs = root / "runs"
    results: list[StepResult] = []
    package_versions: dict[str, dict[str, str]] = {}
    failures: list[str] = []
    for spec in specs:
        try:
            venv = ensure_venv(
                spec.name,
                (spec.requirement, *spec.extras),
                options.reuse_venv,
                runs / f"{spec.name}-install.log",
            )
        except (RuntimeError, subprocess.CalledProcessError) as error:
            failures.append(f"{spec.name}: {error}")
            print(f"{spec.name:<16} install failed: {error}", flush=True)
            continue
        package_versions[spec.name] = venv.versions()
        for backend in (b for b in wanted if b in spec.backends):
            workdir = runs / f"{spec.name}-{backend}"
            shutil.rmtree(workdir, ignore_errors=True)
            try:
                results += run_package(spec, venv, backend, workdir, options.keep, _print)
            except Exception as error:  # the suite itself broke: say where, go on with the rest
                failures.append(f"{spec.name} on {backend}: {error.__class__.__name__}: {error}")
                print(f"{spec.name:<16} {backend:<10} suite error: {error}", flush=True)
    _summary(results, failures)
    (runs / "last-results.json").write_text(
        json.dumps([{**asdict(r), "status": r.status} for r in results], indent=1, default=str)
    )
    if not options.no_docs:
        text = report.render(
            results,
            [s for s in specs if s.name in package_versions],
            package_versions,
            {b: databases.server_version(b) for b in wanted},
            _commit(),
            "bin/real-world " + " ".join(argv if argv is not None else sys.argv[1:]),
        )
        report.write(CHECKOUT / "docs" / "real-world.md", text)
    clean = not failures and all(r.status in ("identical", "deliberate") for r in results)
    return 0 if clean else 1


def _print(result: StepResult) -> None:
    """Print one step's line as soon as it is known."""
    print(result.line(), flush=True)


def _summary(results: list[StepResult], failures: list[str]) -> None:
    """The closing lines: counts per status, and the suite's own failures."""
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    statuses = ("identical", "deliberate", "different", "failed", "skipped")
    parts = [f"{counts.get(s, 0)} {s}" for s in statuses]
    print(f"\nreal-world: {len(results)} steps: " + ", ".join(parts), flush=True)
    for failure in failures:
        print(f"suite error: {failure}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
