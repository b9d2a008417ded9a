"""Rules for changes that fail on existing rows or lock a busy table for a long time."""

from __future__ import annotations

from collections.abc import Iterator

from distill.lint.changes import Change
from distill.lint.findings import Hit, Rule
from distill.lint.revision_facts import RevisionFacts
from distill.lint.type_shapes import type_change_cost

AUTOCOMMIT = "`with op.get_context().autocommit_block():`"

RULES = (
    Rule(
        "add-required-column",
        "error",
        "add the column nullable (or with a server_default), backfill it, and make it NOT "
        "NULL in a later revision",
    ),
    Rule(
        "set-not-null",
        "warning",
        "backfill the NULLs first; on PostgreSQL add CHECK (col IS NOT NULL) NOT VALID, "
        "VALIDATE it, then SET NOT NULL, which then skips the full scan",
    ),
    Rule(
        "rewrite-type-change",
        "warning",
        "add a column of the new type, backfill it in batches, switch the application, "
        "drop the old column later",
    ),
    Rule(
        "add-unique",
        "warning",
        "look for duplicates first; on PostgreSQL build a unique index CONCURRENTLY, then "
        "ADD CONSTRAINT ... UNIQUE USING INDEX",
    ),
    Rule(
        "index-not-concurrent",
        "warning",
        f"op.create_index(..., postgresql_concurrently=True) inside {AUTOCOMMIT}",
    ),
    Rule(
        "concurrently-outside-autocommit",
        "error",
        f"put the operation in {AUTOCOMMIT}: CONCURRENTLY cannot run inside a transaction",
    ),
    Rule(
        "constraint-not-valid",
        "warning",
        "add it with postgresql_not_valid=True (NOT VALID), then VALIDATE CONSTRAINT in a "
        "later revision, which does not block writes",
    ),
    Rule(
        "volatile-default",
        "warning",
        "add the column without a default (or with a constant one), backfill it in batches, "
        "then set the default",
    ),
    Rule(
        "table-rebuild",
        "warning",
        "group the table's changes in one batch_alter_table() so it is copied once, and run "
        "it when writes can pause; on a large table, plan the copy",
    ),
)


def check(facts: RevisionFacts) -> Iterator[Hit]:
    """Hits of this module's rules."""
    profile = facts.profile
    rebuilt: set[str | None] = set()
    for change in facts.changes:
        if change.concurrently and not change.in_autocommit:
            yield Hit(
                "concurrently-outside-autocommit",
                change.line,
                f"creates index {change.name} CONCURRENTLY inside the revision's transaction: "
                "the database refuses it",
            )
        if not facts.on_existing_table(change):
            continue
        yield from _locks(facts, change)
        if _rebuilds(facts, change) and change.table not in rebuilt:
            rebuilt.add(change.table)
            yield Hit(
                "table-rebuild",
                change.line,
                f"recreates table {change.table} on {profile.label} (every row is copied "
                "while the database is locked)",
            )


def _locks(facts: RevisionFacts, change: Change) -> Iterator[Hit]:
    """The rules about one change to an existing table."""
    profile = facts.profile
    if change.kind == "add_column" and change.nullable is False and not change.has_default:
        yield Hit(
            "add-required-column",
            change.line,
            f"adds NOT NULL column {change.where} without a server default: it fails as soon "
            "as the table has rows",
        )
    elif change.kind == "add_column" and change.volatile_default:
        if profile.volatile_default_rewrites:
            yield Hit(
                "volatile-default",
                change.line,
                f"adds {change.where} with a default computed per row: every row of "
                f"{change.table} is rewritten under an exclusive lock",
            )
    elif change.kind == "set_not_null":
        yield Hit(
            "set-not-null",
            change.line,
            f"makes {change.where} NOT NULL: it fails on existing NULLs and scans the table "
            "under an exclusive lock",
        )
    elif change.kind == "alter_type" and profile.alters_columns_in_place:
        if type_change_cost(change.old_type, change.new_type) == "rewrites":
            known = "" if change.old_type else " (existing_type not given, so it may be worse)"
            yield Hit(
                "rewrite-type-change",
                change.line,
                f"changes the type of {change.where}: the table is rewritten under an "
                f"exclusive lock{known}",
            )
    elif change.kind == "add_constraint" and change.constraint == "unique":
        yield Hit(
            "add-unique",
            change.line,
            f"adds a UNIQUE constraint on {change.table}: it fails on duplicates already "
            "there and blocks writes while it checks every row",
        )
    elif change.kind == "create_index":
        yield from _index(facts, change)
    elif _validates_rows(facts, change):
        what = "FOREIGN KEY" if change.constraint == "foreign_key" else "CHECK"
        yield Hit(
            "constraint-not-valid",
            change.line,
            f"adds a {what} constraint to {change.table} without NOT VALID: every row is "
            "checked while writes are blocked",
        )


def _validates_rows(facts: RevisionFacts, change: Change) -> bool:
    """A FOREIGN KEY or CHECK added without NOT VALID where the database has it."""
    return (
        change.kind == "add_constraint"
        and change.constraint in ("foreign_key", "check")
        and facts.profile.not_valid_constraints
        and not change.not_valid
    )


def _index(facts: RevisionFacts, change: Change) -> Iterator[Hit]:
    if change.unique:
        yield Hit(
            "add-unique",
            change.line,
            f"creates unique index {change.name} on {change.table}: it fails on duplicates "
            "already there",
        )
    if facts.profile.concurrent_indexes and not change.concurrently:
        yield Hit(
            "index-not-concurrent",
            change.line,
            f"creates index {change.name} on {change.table} without CONCURRENTLY: writes to "
            "the table wait until the index is built",
        )


def _rebuilds(facts: RevisionFacts, change: Change) -> bool:
    """Whether the database recreates the table to make this change."""
    profile = facts.profile
    if change.batch and change.recreate == "always":
        return True
    if change.kind in ("alter_type", "set_not_null", "other_ddl") and change.name:
        return not profile.alters_columns_in_place and change.kind != "other_ddl"
    if change.kind in ("add_constraint", "drop_constraint"):
        return not profile.alters_constraints_in_place
    return False
