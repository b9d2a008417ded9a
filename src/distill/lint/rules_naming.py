"""Rules about names: constraints the database names itself, identifiers too long."""

from __future__ import annotations

from collections.abc import Iterator

from distill.lint.findings import Hit, Rule
from distill.lint.revision_facts import RevisionFacts

_NAMED_KINDS = {"foreign_key": "foreign key", "unique": "unique", "check": "check"}

RULES = (
    Rule(
        "unnamed-constraint",
        "warning",
        "give the constraint a name, or set a naming_convention on target_metadata "
        "(MetaData(naming_convention=...)) so every constraint gets a predictable one",
    ),
    Rule(
        "identifier-too-long",
        "error",
        "shorten the name (a naming convention can use %(column_0_N_name)s or a custom "
        "token to keep generated names short)",
    ),
)


def check(facts: RevisionFacts) -> Iterator[Hit]:
    """Hits of this module's rules."""
    limit = facts.profile.max_identifier_length
    for change in facts.changes:
        kind = _NAMED_KINDS.get(change.constraint or "")
        if change.kind == "add_constraint" and kind and change.name is None:
            yield Hit(
                "unnamed-constraint",
                change.line,
                f"adds an unnamed {kind} constraint to {change.table}: the database picks "
                "the name, so a later revision cannot drop it portably",
            )
        if limit is None:
            continue
        for name in change.identifiers:
            if len(name) > limit:
                yield Hit(
                    "identifier-too-long",
                    change.line,
                    f"name {name!r} has {len(name)} characters; {facts.profile.label} allows "
                    f"{limit} (it truncates or refuses longer ones)",
                )
