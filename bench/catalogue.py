"""The list of cases for given sizes, in the issue's order, each with the issue's target."""

from __future__ import annotations

from functools import partial

from bench.cases import (
    CaseDef,
    Settings,
    Target,
    at_head_case,
    autogenerate_case,
    branched_upgrade_case,
    downgrade_case,
    fleet_case,
    help_case,
    listing_case,
    offline_case,
    upgrade_case,
)
from bench.workspace import Workspace

NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
UPGRADE_TARGETS = {
    "sqlite": Target(0.5, (("DBAPI", 1.3),)),
    "postgresql": Target(0.75),
}
DOWNGRADE_TARGETS = {
    "sqlite": Target(None, (("DBAPI", 1.05),)),
    "postgresql": Target(0.5),
}


def _heads(ws: Workspace, count: int) -> CaseDef:
    return CaseDef(
        f"heads-{count}",
        f"`heads`, {count:,} revisions",
        lambda: listing_case(ws, ws.linear(count), "heads"),
        size=count,
        target=Target(0.1 if count >= 5000 else 0.12),
    )


def catalogue(settings: Settings, ws: Workspace) -> list[CaseDef]:
    """Every case of a run with these settings (select with `--cases`)."""
    n = settings.revisions
    cases = [CaseDef("help", "`--help`", partial(help_case, ws), target=Target(0.12))]
    cases += [_heads(ws, count) for count in sorted({n, settings.large})]
    cases.append(
        CaseDef(
            f"history-branched-{n}",
            f"`history`, {n:,} revisions branched with merges",
            lambda: listing_case(ws, ws.branched(n), "history"),
            size=n,
        )
    )
    if "sqlite" in settings.databases:
        cases += [
            CaseDef(
                f"current-sqlite-{n}",
                f"`current`, {n:,} revisions, SQLite",
                partial(at_head_case, ws, n, ["current"]),
                "sqlite",
                n,
                Target(0.35),
            ),
            CaseDef(
                f"upgrade-at-head-sqlite-{n}",
                f"`upgrade head` when already at head, {n:,}, SQLite",
                partial(at_head_case, ws, n, ["upgrade", "head"]),
                "sqlite",
                n,
                Target(0.35),
            ),
        ]
    for name in settings.databases:
        cases.append(
            CaseDef(
                f"upgrade-{name}-{n}",
                f"`upgrade head` {NAMES[name]}, {n:,} revisions",
                partial(upgrade_case, ws, name, n),
                name,
                n,
                UPGRADE_TARGETS[name],
            )
        )
    for name in settings.databases:
        cases.append(
            CaseDef(
                f"downgrade-{name}-{n}",
                f"`downgrade base` {NAMES[name]}, {n:,}",
                partial(downgrade_case, ws, name, n),
                name,
                n,
                DOWNGRADE_TARGETS[name],
            )
        )
    if "postgresql" in settings.databases:
        cases.append(
            CaseDef(
                f"upgrade-sql-postgresql-{n}",
                f"`upgrade head --sql`, {n:,} revisions (PostgreSQL)",
                partial(offline_case, ws, n),
                None,  # offline: no database involved
                n,
                Target(None, (("SQLAlchemy compile", 1.0),)),
            )
        )
    if "sqlite" in settings.databases:
        cases.append(
            CaseDef(
                f"upgrade-branched-sqlite-{n}",
                f"`upgrade head` SQLite, {n:,} revisions branched with merges",
                partial(branched_upgrade_case, ws, n),
                "sqlite",
                n,
            )
        )
    if "sqlite" in settings.databases:
        cases.append(
            CaseDef(
                "fleet-sqlite-200x20",
                "`fleet upgrade head`, 200 SQLite tenant files, 20 revisions each",
                partial(fleet_case, ws, 200, 20),
                "sqlite",
                200,
                Target(0.34),
            )
        )
    for count in settings.tables:
        for name in settings.databases:
            cases += [
                CaseDef(
                    f"autogenerate-noop-{name}-{count}",
                    f"autogenerate, {count:,} tables, {NAMES[name]} already at the models (no-op)",
                    partial(autogenerate_case, ws, name, count, True),
                    name,
                    count,
                    Target(0.4, (("one bulk reflection", 1.15),)),
                ),
                CaseDef(
                    f"autogenerate-empty-{name}-{count}",
                    f"autogenerate, {count:,} tables, empty {NAMES[name]} database",
                    partial(autogenerate_case, ws, name, count, False),
                    name,
                    count,
                    Target(0.3),
                ),
            ]
    return cases
