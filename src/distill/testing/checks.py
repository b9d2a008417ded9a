"""The checks that prove a history: each names the revision and the check that fails.

The same functions back `distill test` and the pytest plugin's ready tests (whose names
follow pytest-alembic's: single head, upgrade, model match, up/down consistency,
stairway). Every check but `single_head` expects an empty scratch database and leaves
it at the heads (`up_down_consistency` at base).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from distill.errors import DistillError, revision_failure
from distill.testing.runner import HistoryRunner, reversed_step
from distill.testing.schema import SchemaSnapshot, difference

if TYPE_CHECKING:
    from distill.graph import Step
    from distill.runtime.migrator import MigrationContext

Say = Callable[[str], None]


def _quiet(line: str) -> None:
    """Say nothing."""


class CheckFailed(DistillError):
    """A check of `distill test` failed: which check, at which revision, and the evidence."""

    exit_code = 1

    def __init__(self, check: str, revision: str, reason: str, details: Sequence[str] = ()) -> None:
        super().__init__(f"{check} failed at revision {revision}: {reason}")
        self.check = check
        self.revision = revision
        self.reason = reason
        self.details = list(details)

    def report(self) -> str:
        """The message with the schema difference under it, one line each."""
        return "\n".join([self.message, *(f"    {line}" for line in self.details)])


def single_head(runner: HistoryRunner, say: Say = _quiet) -> str:
    """The history has exactly one head; returns it."""
    heads = tuple(runner.graph.heads)
    if len(heads) != 1:
        named = ", ".join(runner.label(head) for head in heads) or "none"
        raise CheckFailed(
            "single head",
            named,
            f"the history has {len(heads)} heads; merge them (distill merge heads)",
        )
    say(f"ok    single head: {runner.label(heads[0])}")
    return heads[0]


def require_empty(runner: HistoryRunner) -> None:
    """The scratch database holds nothing yet (a leftover schema would hide mistakes)."""
    found = runner.snapshot()
    if not found.is_empty:
        names = ", ".join(sorted(found.tables)[:5]) or ", ".join(sorted(found.enums)[:5])
        raise DistillError(
            f"the scratch database is not empty (it holds {names}); distill test needs an "
            "empty database: drop its tables or give another one with --url"
        )


def _step(runner: HistoryRunner, step: Step, check: str, what: str) -> None:
    """Run one step; a failure names the revision."""
    try:
        runner.run([step])
    except Exception as error:
        failure = revision_failure(error)
        if failure is not None or isinstance(error, DistillError):
            reason = f"{what} raised: {failure.message if failure else error}"
        else:
            reason = f"{what} raised {type(error).__name__}: {error}"
        raise CheckFailed(check, runner.label(step.revision), reason) from error


def _same(
    runner: HistoryRunner,
    step: Step,
    check: str,
    expected: SchemaSnapshot,
    found: SchemaSnapshot,
    reason: str,
) -> None:
    changes = difference(expected, found)
    if changes:
        raise CheckFailed(check, runner.label(step.revision), reason, changes)


def upgrade(runner: HistoryRunner, say: Say = _quiet) -> None:
    """Every revision upgrades, one at a time, from base to the heads."""
    for step in runner.upgrade_steps():
        _step(runner, step, "upgrade", "upgrade()")
    say("ok    upgrade from base to the heads, one revision at a time")


def stairway(runner: HistoryRunner, say: Say = _quiet) -> list[SchemaSnapshot]:
    """For every revision: upgrade, downgrade, upgrade again, the schema back each time.

    Returns the schema before each step, in order (what a later walk down must find).
    """
    befores: list[SchemaSnapshot] = []
    for step in runner.upgrade_steps():
        before = runner.snapshot()
        befores.append(before)
        _step(runner, step, "stairway", "upgrade()")
        after = runner.snapshot()
        _step(runner, reversed_step(step), "stairway", "downgrade()")
        _same(
            runner,
            step,
            "stairway",
            before,
            runner.snapshot(),
            "the schema after downgrade() differs from the schema before upgrade() "
            "(- missing, + left behind)",
        )
        _step(runner, step, "stairway", "the second upgrade()")
        _same(
            runner,
            step,
            "stairway",
            after,
            runner.snapshot(),
            "upgrade() after downgrade() gives a different schema than the first upgrade() "
            "(- first time only, + second time only)",
        )
        say(f"ok    {runner.label(step.revision)}: upgrade, downgrade, upgrade")
    return befores


def up_down_consistency(
    runner: HistoryRunner, say: Say = _quiet, befores: list[SchemaSnapshot] | None = None
) -> None:
    """Down from the heads to base one revision at a time, each schema as it was going up.

    Without `befores` the database must be empty: it is upgraded one step at a time first.
    """
    steps = runner.upgrade_steps()
    if befores is None:
        befores = []
        for step in steps:
            befores.append(runner.snapshot())
            _step(runner, step, "up/down consistency", "upgrade()")
    for step, before in zip(reversed(steps), reversed(befores), strict=True):
        _step(runner, reversed_step(step), "up/down consistency", "downgrade()")
        _same(
            runner,
            step,
            "up/down consistency",
            before,
            runner.snapshot(),
            "going down from the heads, the schema after downgrade() differs from the "
            "schema before upgrade() (- missing, + left behind)",
        )
    say("ok    downgrade from the heads to base, one revision at a time")


def model_match(runner: HistoryRunner, say: Say = _quiet) -> bool:
    """At the heads, the models (env.py's target_metadata) match the database.

    Returns False (and says so) when env.py sets no target_metadata: nothing to compare.
    """
    from distill.autogenerate.api import compare_metadata

    found: dict[str, Any] = {}

    def compare(heads: tuple[str, ...], context: MigrationContext) -> None:
        metadata = context.opts.get("target_metadata")
        found["heads"] = heads
        found["diffs"] = None if metadata is None else list(compare_metadata(context, metadata))

    runner.inspect(compare)
    heads = ", ".join(runner.label(head) for head in found["heads"]) or "base"
    if found["diffs"] is None:
        say("skip  models: env.py sets no target_metadata, nothing to compare")
        return False
    if found["diffs"]:
        raise CheckFailed(
            "model match",
            heads,
            "the models (target_metadata) differ from the database at head; write a "
            "revision for the change (distill revision --autogenerate)",
            [describe_diff(diff) for diff in found["diffs"]],
        )
    say(f"ok    models match the database at {heads}")
    return True


def describe_diff(diff: Any) -> str:
    """One line for one of compare_metadata's diff entries."""
    if isinstance(diff, list):
        return "; ".join(describe_diff(entry) for entry in diff)
    if not isinstance(diff, tuple) or not diff:
        return str(diff)
    kind, *rest = diff
    if str(kind).startswith("modify_") and len(rest) >= 6:
        _, table, column, _, old, new = rest[:6]
        return f"{kind} {table}.{column}: {old!r} -> {new!r}"
    parts = [part for part in rest if part is not None]
    objects = [part for part in parts if not isinstance(part, str)]
    # a schema or table name before an object is implied by the object's own text
    return f"{kind} " + ", ".join(_object_text(part) for part in (objects or parts))


def _object_text(part: Any) -> str:
    table = getattr(part, "table", None)
    name = getattr(part, "name", None)
    table_name = getattr(table, "name", None)
    if name is not None and table_name is not None:
        return f"{table_name}.{name}"
    if name is not None:
        return str(name)
    return repr(part)
