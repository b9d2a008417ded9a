"""The steps of a run as others see them: the `aaa111 -> bbb222, message` text of log
lines and --sql comments, and the MigrationInfo that on_version_apply callbacks receive."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from distill.errors import DistillError
from distill.scripts.describe import first_paragraph

if TYPE_CHECKING:
    from distill.graph import Revision, RevisionGraph, Step
    from distill.scripts.directory import ScriptDirectory


class MigrationInfo:
    """What `on_version_apply` callbacks receive about the step just applied."""

    def __init__(
        self,
        graph: RevisionGraph | None,
        is_upgrade: bool,
        is_stamp: bool,
        up_revisions: Sequence[str],
        down_revisions: Sequence[str],
    ) -> None:
        self.revision_map = graph
        self.is_upgrade = is_upgrade
        self.is_stamp = is_stamp
        self.up_revision_ids: tuple[str, ...] = tuple(up_revisions)
        self.up_revision_id: str | None = self.up_revision_ids[0] if up_revisions else None
        self.down_revision_ids: tuple[str, ...] = tuple(down_revisions)

    def __repr__(self) -> str:
        return (
            f"MigrationInfo(up={self.up_revision_ids!r}, down={self.down_revision_ids!r}, "
            f"is_upgrade={self.is_upgrade}, is_stamp={self.is_stamp})"
        )

    @property
    def is_migration(self) -> bool:
        """True when a revision ran (not a stamp)."""
        return not self.is_stamp

    @property
    def source_revision_ids(self) -> tuple[str, ...]:
        """The revisions the database was at before the step."""
        return self.down_revision_ids if self.is_upgrade else self.up_revision_ids

    @property
    def destination_revision_ids(self) -> tuple[str, ...]:
        """The revisions the database is at after the step."""
        return self.up_revision_ids if self.is_upgrade else self.down_revision_ids

    def _revisions(self, ids: Sequence[str]) -> tuple[Revision | None, ...]:
        if self.revision_map is None:
            return tuple(None for _ in ids)
        return tuple(self.revision_map.get(rev) for rev in ids)

    @property
    def up_revision(self) -> Revision | None:
        """The Revision of `up_revision_id`."""
        return self._revisions(self.up_revision_ids[:1])[0] if self.up_revision_ids else None

    @property
    def up_revisions(self) -> tuple[Revision | None, ...]:
        """The Revisions of `up_revision_ids`."""
        return self._revisions(self.up_revision_ids)

    @property
    def down_revisions(self) -> tuple[Revision | None, ...]:
        """The Revisions of `down_revision_ids`."""
        return self._revisions(self.down_revision_ids)

    @property
    def source_revisions(self) -> tuple[Revision | None, ...]:
        """The Revisions of `source_revision_ids`."""
        return self._revisions(self.source_revision_ids)

    @property
    def destination_revisions(self) -> tuple[Revision | None, ...]:
        """The Revisions of `destination_revision_ids`."""
        return self._revisions(self.destination_revision_ids)


def known_revision(script: ScriptDirectory | None, rev: str | None) -> Revision | None:
    """The Revision of `rev` in the script directory; None when there is none to describe."""
    if rev is None or script is None:
        return None
    try:
        return script.graph.get(rev)
    except Exception:  # a revision the graph does not know: describe it by id only
        return None


def describe_step(script: ScriptDirectory | None, step: Step, with_doc: bool = True) -> str:
    """`aaa111 -> bbb222, add account` as Alembic's log lines and --sql comments read."""
    revision = known_revision(script, step.revision)
    baseline = script.baseline if script is not None and revision is None else None
    if baseline is not None and step.revision == baseline.revision and step.kind != "stamp":
        replaced = f"baseline {baseline.revision}, replaces {len(baseline.replaces)} revision(s)"
        return f"{', '.join(step.removes)} -> {', '.join(step.adds)}, {replaced}"
    if step.kind == "stamp" or revision is None:
        return f"{', '.join(step.removes)} -> {', '.join(step.adds)}"
    parents = ", ".join(revision.down_revisions)
    if step.kind == "upgrade":
        text = f"{parents} -> {revision.revision}"
    else:
        text = f"{revision.revision} -> {parents}"
    doc = first_paragraph(revision.doc)
    return f"{text}, {doc}" if with_doc and doc else text


def migration_info(script: ScriptDirectory | None, step: Step) -> MigrationInfo:
    """What on_version_apply callbacks learn about `step`."""
    graph = script.graph if script is not None else None
    revision = known_revision(script, step.revision)
    if step.kind != "stamp" and revision is not None and graph is not None:
        return MigrationInfo(
            graph,
            step.kind == "upgrade",
            False,
            (revision.revision,),
            graph.normalized_parents(revision.revision),
        )
    is_upgrade = step.kind == "upgrade" or (step.kind == "stamp" and not _stamps_down(graph, step))
    up, down = (step.adds, step.removes) if is_upgrade else (step.removes, step.adds)
    return MigrationInfo(graph, is_upgrade, step.kind == "stamp", up, down)


def _stamps_down(graph: RevisionGraph | None, step: Step) -> bool:
    """True when a stamp step moves the version rows towards base."""
    if not step.adds:
        return True
    if graph is None:
        return False
    try:
        above = graph.descendants(step.adds) - set(step.adds)
    except DistillError:  # rows the graph does not know: call it an upgrade
        return False
    return any(row in above for row in step.removes)


def import_revisions(script: ScriptDirectory | None, steps: Sequence[Step]) -> None:
    """Import the revision files of a run before running the first one.

    Alembic imports every revision file before it runs any, and histories rely on it:
    a revision may use a submodule that only a later file imports. A file that fails
    to import here is left for its step to import again and report.
    """
    if script is None:
        return
    for step in steps:
        if step.kind == "stamp" or step.revision is None:
            continue
        try:
            script.load_module(step.revision)
        except Exception:
            return
