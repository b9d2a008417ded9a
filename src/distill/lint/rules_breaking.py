"""Rules for changes that break the application still running during a deploy: drops,
renames, and types that no longer hold the data."""

from __future__ import annotations

from collections.abc import Iterator

from distill.lint.changes import Change
from distill.lint.findings import Hit, Rule
from distill.lint.revision_facts import RevisionFacts
from distill.lint.type_shapes import type_change_cost

RULES = (
    Rule(
        "drop-table",
        "error",
        "stop using the table in the application and deploy that first; drop the table "
        "in a later revision",
    ),
    Rule(
        "drop-column",
        "error",
        "remove the column from the models and deploy that first; drop the column in a "
        "later revision",
    ),
    Rule(
        "rename-table",
        "error",
        "expand and contract: create the new table (or a view with the new name), switch "
        "the application over, drop the old one in a later revision",
    ),
    Rule(
        "rename-column",
        "error",
        "expand and contract: add the new column, write both and backfill, switch reads, "
        "drop the old column in a later revision",
    ),
    Rule(
        "narrowing-type",
        "error",
        "check that every value fits first (SELECT max(length(col)) ...), or add a new "
        "column of the new type, copy the data, and switch over",
    ),
)


def check(facts: RevisionFacts) -> Iterator[Hit]:
    """Hits of this module's rules."""
    for change in facts.changes:
        if not facts.on_existing_table(change):
            continue
        if change.kind == "drop_table":
            yield Hit(
                "drop-table",
                change.line,
                f"drops table {change.table}: the running application may still read or "
                "write it until the new release is out",
            )
        elif change.kind == "drop_column":
            yield Hit(
                "drop-column",
                change.line,
                f"drops column {change.where}: the running application still selects it "
                "until the new release is out",
            )
        elif change.kind == "rename_table":
            yield Hit(
                "rename-table",
                change.line,
                f"renames table {change.table} to {change.new_name}: the running application "
                "still uses the old name",
            )
        elif change.kind == "rename_column":
            yield Hit(
                "rename-column",
                change.line,
                f"renames column {change.where} to {change.new_name}: the running "
                "application still uses the old name",
            )
        elif change.kind == "alter_type" and _narrows(change):
            old = change.old_type.describe() if change.old_type else "?"
            new = change.new_type.describe() if change.new_type else "?"
            yield Hit(
                "narrowing-type",
                change.line,
                f"changes {change.where} from {old} to {new}: existing values may not "
                "fit, the change fails or truncates them",
            )


def _narrows(change: Change) -> bool:
    return type_change_cost(change.old_type, change.new_type) == "narrows"
