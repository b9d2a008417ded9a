"""The text of a baseline file, and of the revision it becomes when finalized."""

from __future__ import annotations

import ast
import datetime
from collections.abc import Sequence

from distill.graph import RevisionGraph


def baseline_text(
    baseline_id: str,
    message: str,
    replaces: Sequence[str],
    bodies: tuple[str, str, str],
    op_module: str,
    notes: Sequence[str] = (),
) -> str:
    """The baseline file: header, the ids it replaces, upgrade() and downgrade()."""
    upgrade, downgrade, imports = bodies
    tip = replaces[-1]
    noted = "".join(f"\n  - {note}" for note in notes)
    note_block = (
        "\nData statements and raw SQL of the replaced revisions (review them: the baseline"
        " builds the schema, and carries over only constant inserts and the objects raw SQL"
        f" made, as listed):{noted}\n"
        if notes
        else ""
    )
    listed = "".join(f"    {rev!r},\n" for rev in replaces)
    import_block = f"{imports}\n" if imports else ""
    return f'''"""{message}

Baseline ID: {baseline_id}
Replaces: {len(replaces)} revision(s), base..{tip}
Create Date: {datetime.datetime.now()}

An empty database runs this file instead of the revisions it replaces and is then at
{tip}; a database already at one of them goes on through the old files. Once every
database is at {tip} or later, `distill squash --finalize` makes this file revision
{tip} and deletes the old files.
{note_block}"""
from collections.abc import Sequence

import sqlalchemy as sa
{import_block}
from {op_module} import op

revision: str = {baseline_id!r}
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# the revisions this file replaces, in run order (the last: where it leaves a database)
replaces: tuple[str, ...] = (
{listed})


def upgrade() -> None:
    """Build the schema of {tip} in an empty database."""
    {upgrade}


def downgrade() -> None:
    """Drop everything upgrade() built."""
    {downgrade}
'''


def finalized_text(text: str, baseline_id: str, tip: str) -> str:
    """The baseline as revision `tip`: its id replaced, `replaces` renamed `squashed` (the
    applied-revision log accepts this file for the revisions it lists)."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    for node in reversed(tree.body):
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id == "replaces":
            first = node.lineno - 1
            lines[first] = lines[first].replace("replaces", "squashed", 1)
            if first > 0 and lines[first - 1].lstrip().startswith("# the revisions this file"):
                lines[first - 1] = (
                    "# the revisions squashed into this file (distill squash --finalize); "
                    "databases that ran them are at this revision\n"
                )
        elif isinstance(target, ast.Name) and target.id == "revision":
            line = lines[node.lineno - 1]
            lines[node.lineno - 1] = line.replace(repr(baseline_id), repr(tip)).replace(
                f'"{baseline_id}"', f'"{tip}"'
            )
    result = "".join(lines)
    return result.replace(f"Baseline ID: {baseline_id}", f"Revision ID: {tip}\nRevises:", 1)


def run_order(graph: RevisionGraph, tip: str) -> list[str]:
    """`tip` and its ancestors, in the order an upgrade from base runs them."""
    return [step.revision for step in graph.upgrade_plan((), tip) if step.revision]
