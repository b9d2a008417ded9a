"""The command line of `bin/bench`: sizes, repeats, cases and databases."""

from __future__ import annotations

import argparse
import fnmatch
from collections.abc import Sequence
from pathlib import Path

from bench.cases import CaseDef, Settings
from bench.workspace import REPOSITORY

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
