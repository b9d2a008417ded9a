"""`distill squash`: one baseline file instead of a long history, for empty databases.

`squash()` runs the history up to a revision on a scratch database, renders what it
built with autogenerate's renderer, checks the rendered file (its downgrade empties the
scratch database, its upgrade builds a schema equal to the history's) and only then
writes it to `<script_location>/baseline/`. `finalize()` turns the baseline into that
revision and deletes the files it replaces, once no database needs them.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from distill.errors import DistillError
from distill.scripts.baseline import Baseline, baseline_folder, read_baseline_file
from distill.squash.render import baseline_text, finalized_text, run_order

if TYPE_CHECKING:
    from distill.config import Config

__all__ = ["Squashed", "finalize", "squash"]


@dataclass(frozen=True)
class Squashed:
    """What `squash` wrote."""

    path: Path
    baseline: Baseline
    notes: tuple[str, ...]
    """The data statements of the replaced revisions."""
    warnings: tuple[str, ...] = ()
    """The objects raw SQL made, carried over as op.execute: review them."""


def squash(
    config: Config,
    revision: str,
    message: str | None = None,
    scratch_url: str | None = None,
    rev_id: str | None = None,
) -> Squashed:
    """Write the baseline that builds, in an empty database, what base..`revision` builds."""
    from distill import command
    from distill.scripts.writer import new_rev_id, slugify
    from distill.squash.build import check_baseline, history_schema
    from distill.squash.data import data_statements
    from distill.squash.raw_objects import notes_for, with_raw_objects
    from distill.testing.runner import HistoryRunner, ScratchDatabase

    script = command.script_directory(config)
    if script.baseline is not None:
        raise DistillError(
            f"{script.baseline.path} already replaces base..{script.baseline.tip}; run "
            "'distill squash --finalize' once every database is past it, then squash again"
        )
    graph = script.graph
    tip = graph.resolve_one(revision)
    if tip is None:
        raise DistillError("squash needs a revision to squash up to, not base")
    replaces = run_order(graph, tip)
    baseline_id = rev_id or new_rev_id()
    if baseline_id in graph.revisions:
        raise DistillError(f"--rev-id {baseline_id} is already a revision of the history")
    statements = list(data_statements(config, script, replaces))
    scratch = ScratchDatabase(scratch_url)
    folder = baseline_folder(script.dir)
    try:
        runner = HistoryRunner(config, scratch.url)
        history = history_schema(runner, tip)
        carried = [s for s in statements if s.carried(history.columns)]
        notes = tuple(
            f"{s.revision}: {s.text}" + (" (carried over)" if s in carried else "")
            for s in statements
        )
        upgrade, downgrade, imports = history.bodies
        warnings = notes_for(history.raw_objects)
        upgrade, downgrade = with_raw_objects(upgrade, downgrade, history.raw_objects)
        if carried:
            lines = [statement.render() for statement in carried]
            upgrade += "\n    # constant rows the replaced revisions inserted\n    "
            upgrade += "\n    ".join(lines)
        text = baseline_text(
            baseline_id,
            message or f"baseline of {tip}",
            replaces,
            (upgrade, downgrade, imports),
            _op_module(script.env_py_location),
            notes + warnings,
        )
        with tempfile.TemporaryDirectory(prefix="distill-squash-") as staging:
            staged = Path(staging, f"{baseline_id}_baseline.py")
            staged.write_text(text, encoding="utf-8")
            differences = check_baseline(
                runner, read_baseline_file(staged), history.snapshot, history.raw_objects
            )
            if differences:
                shown = "; ".join(differences[:5])
                raise DistillError(
                    f"the rendered baseline does not rebuild the schema of {tip} "
                    f"({len(differences)} difference(s): {shown}); nothing was written"
                )
            slug = slugify(message or "baseline", script.truncate_slug_length) or "baseline"
            folder.mkdir(exist_ok=True)
            path = folder / f"{baseline_id}_{slug}.py"
            path.write_text(text, encoding="utf-8")
    finally:
        scratch.close()
    return Squashed(path, Baseline(baseline_id, tuple(replaces), str(path)), notes, warnings)


def _op_module(env_py: str) -> str:
    """`alembic` for a project whose env.py imports alembic, else `distill`."""
    try:
        text = Path(env_py).read_text(encoding="utf-8")
    except OSError:
        return "distill"
    return "alembic" if "from alembic import" in text or "import alembic" in text else "distill"


def finalize(config: Config) -> tuple[Path, list[str]]:
    """Make the baseline revision `tip` and delete the files it replaces; (new file, deleted)."""
    from distill import command

    script = command.script_directory(config)
    baseline = script.baseline
    if baseline is None:
        raise DistillError(
            "there is no baseline to finalize; write one with 'distill squash <revision>'"
        )
    graph = script.graph
    replaced = set(baseline.replaces)
    missing = sorted(replaced - set(graph.revisions))
    if missing:
        raise DistillError(
            f"{baseline.path} replaces {', '.join(missing)}, which the history no longer has; "
            "restore them or remove the baseline"
        )
    for rev, found in graph.revisions.items():
        links = set(found.down_revisions) | set(graph.deps[rev])
        stranded = sorted((links & replaced) - {baseline.tip})
        if rev not in replaced and stranded:
            raise DistillError(
                f"revision {rev} ({found.path}) builds on {', '.join(stranded)}, which the "
                f"baseline replaces but does not end at; merge it past {baseline.tip} first"
            )
    tip_path = Path(graph.get(baseline.tip).path)
    text = finalized_text(
        Path(baseline.path).read_text(encoding="utf-8"), baseline.revision, baseline.tip
    )
    staged = tip_path.parent / f".{baseline.tip}_finalizing.tmp"
    staged.write_text(text, encoding="utf-8")
    deleted = [graph.get(rev).path for rev in baseline.replaces]
    for path in deleted:
        os.remove(path)
    final = tip_path.parent / f"{baseline.tip}_{Path(baseline.path).stem.split('_', 1)[-1]}.py"
    staged.replace(final)
    os.remove(baseline.path)
    return final, deleted
