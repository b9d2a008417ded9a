"""The run request: what a command asks the runtime to do, as one frozen value.

Commands build a RunRequest; EnvironmentContext answers env.py from it and
MigrationContext carries it out. It is never mixed with env.py's configure() options.
Alembic's option names (`fn`, `as_sql`, `starting_rev`, `destination_rev`, `tag`,
`purge`, `dont_mutate`, `script`) are translated into a request where they enter the
public API (`EnvironmentContext(...)`, `MigrationContext.configure(opts=...)`).

A new run-wide setting (a dry run, a deploy lock, a lock timeout) is a new field of
RunRequest with a default that keeps today's behaviour; a new kind of work is a new
action class with `steps()`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from distill.errors import DistillError

if TYPE_CHECKING:
    from distill.graph import RevisionGraph, Step
    from distill.runtime.deploy_lock import Locking
    from distill.runtime.migrator import MigrationContext
    from distill.runtime.observers import RevisionObserver
    from distill.scripts.directory import ScriptDirectory

Heads = tuple[str, ...]
PlanFn = Callable[[Heads, "MigrationContext"], Iterable["Step"]]
InspectFn = Callable[[Heads, "MigrationContext"], object]


class NotGiven(enum.Enum):
    """A request value the caller did not give, as opposed to one given as None."""

    NOT_GIVEN = "not given"


NOT_GIVEN = NotGiven.NOT_GIVEN


def _graph(context: MigrationContext, what: str) -> RevisionGraph:
    """The revision graph of the context's script directory; an error without one."""
    if context.script is None:
        raise DistillError(
            f"Cannot plan {what}: the MigrationContext has no script directory "
            "(pass opts={'script': ScriptDirectory(...)} to configure())"
        )
    return context.script.graph


@dataclass(frozen=True)
class Migrate:
    """Upgrade or downgrade along the revision graph to `target`."""

    direction: Literal["upgrade", "downgrade"]
    target: str

    def steps(self, heads: Heads, context: MigrationContext) -> list[Step]:
        """The plan from the database's heads to the target."""
        graph = _graph(context, f"{self.direction} to {self.target}")
        if self.direction == "upgrade":
            plan = graph.upgrade_plan(heads, self.target)
            baseline = context.script.baseline if context.script and not heads else None
            if baseline is None:
                return plan
            from distill.graph.baseline import through_baseline

            return through_baseline(
                graph, plan, baseline.revision, baseline.replaces, self.target, graph.upgrade_plan
            )
        return graph.downgrade_plan(heads, self.target)


@dataclass(frozen=True)
class Stamp:
    """Set the version table to `targets` without running any revision."""

    targets: tuple[str, ...]

    def steps(self, heads: Heads, context: MigrationContext) -> list[Step]:
        """The version-row changes from the database's heads to the targets."""
        graph = _graph(context, f"stamp to {', '.join(self.targets) or 'base'}")
        return graph.stamp_plan(heads, self.targets, context.purge)


@dataclass(frozen=True)
class CreateVersionTable:
    """Create the version table and nothing else (offline: write its CREATE)."""

    def steps(self, heads: Heads, context: MigrationContext) -> list[Step]:
        """No steps: the table is created here."""
        context.ensure_version_table()
        return []


@dataclass(frozen=True)
class Inspect:
    """Read-only: hand the database's heads and the context to `callback`, run nothing."""

    callback: InspectFn

    def steps(self, heads: Heads, context: MigrationContext) -> list[Step]:
        """No steps: the callback looks and returns."""
        self.callback(heads, context)
        return []


@dataclass(frozen=True)
class PlanFunction:
    """A plan function given through the public API (Alembic's `fn`); None plans nothing."""

    fn: PlanFn | None = None

    def steps(self, heads: Heads, context: MigrationContext) -> list[Step]:
        """Whatever the function returns."""
        return list(self.fn(heads, context)) if self.fn is not None else []


Action = Migrate | Stamp | CreateVersionTable | Inspect | PlanFunction

# Alembic's option names that belong to the request, not to configure().
REQUEST_OPTIONS = (
    "fn",
    "as_sql",
    "starting_rev",
    "destination_rev",
    "tag",
    "purge",
    "dont_mutate",
    "script",
)


@dataclass(frozen=True)
class RunRequest:
    """What a command asks of one run of env.py."""

    action: Action = PlanFunction()
    """The work: a plan (Migrate, Stamp, CreateVersionTable, PlanFunction) or Inspect."""
    script: ScriptDirectory | None = None
    """The migration folder the plan and the revision files come from."""
    as_sql: bool = False
    """Write a SQL script instead of connecting (--sql)."""
    starting_rev: str | tuple[str, ...] | NotGiven | None = NOT_GIVEN
    """The `start` of an offline `start:end` range (None: from the version table's
    state, i.e. base offline); NOT_GIVEN when the command takes no revision argument
    (env.py's get_starting_revision_argument() then refuses)."""
    destination_rev: str | None = None
    """The revision argument as the command was given it (get_revision_argument())."""
    tag: str | None = None
    """The --tag value, for env.py."""
    purge: bool = False
    """Empty the version table before the plan (stamp --purge)."""
    create_version_table: bool = True
    """False for commands that must not change the database (current, history, show)."""
    tenant_schema: str | None = None
    """Run the revisions in this schema (a fleet's schema-per-tenant target): unqualified
    tables go there (schema_translate_map) and so does the version table."""
    observers: tuple[RevisionObserver, ...] = ()
    """Told of every revision an online run starts, applies, commits or fails
    (runtime/observers.py)."""
    locking: Locking | None = None
    """The deploy lock's wait and the DDL lock timeout with retries (deploy_lock.py,
    ddl_retry.py); None takes no lock (--sql, read-only commands, bare contexts)."""

    @property
    def start(self) -> str | tuple[str, ...] | None:
        """The starting revision(s), None when not given."""
        return None if self.starting_rev is NOT_GIVEN else self.starting_rev

    def with_options(self, options: Mapping[str, Any]) -> RunRequest:
        """This request with Alembic-named options (`fn`, `as_sql`, ...) applied over it."""
        changes: dict[str, Any] = {}
        if "fn" in options:
            changes["action"] = PlanFunction(options["fn"])
        for name in ("script", "destination_rev", "tag"):
            if name in options:
                changes[name] = options[name]
        if "starting_rev" in options:
            start = options["starting_rev"]
            changes["starting_rev"] = (
                start if start is None or isinstance(start, str) else tuple(start)
            )
        for name in ("as_sql", "purge"):
            if name in options:
                changes[name] = bool(options[name])
        if "dont_mutate" in options:
            changes["create_version_table"] = not options["dont_mutate"]
        return replace(self, **changes)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> RunRequest:
        """A request from Alembic's option names; other keys are ignored."""
        return cls().with_options(options)

    def offline_heads(self) -> Heads:
        """The revisions an offline run starts from: the range start, resolved."""
        start = self.start
        if start is None or start == "base":
            return ()
        found: list[str] = []
        for identifier in (start,) if isinstance(start, str) else start:
            if identifier == "base":
                continue
            if self.script is None:
                found.append(identifier)
                continue
            for rev in self.script.graph.resolve(identifier):
                if rev not in found:
                    found.append(rev)
        return tuple(found)


def split_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the request's options, the configure() options) of an Alembic-style dict."""
    request = {key: value for key, value in options.items() if key in REQUEST_OPTIONS}
    rest = {key: value for key, value in options.items() if key not in REQUEST_OPTIONS}
    return request, rest
