"""Applied revisions against their files: which were edited or deleted since they ran.

Pure: takes the version rows, the revision graph, the log and a checksum function, and
returns findings. `distill verify` prints them; `upgrade` / `downgrade` refuse to run on
an edited or deleted one unless --allow-edited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from distill.runtime.checksums import squashed_revisions
from distill.runtime.ledger import Entry, standing

if TYPE_CHECKING:
    from distill.graph import RevisionGraph

Problem = Literal["edited", "deleted", "unrecorded"]


@dataclass(frozen=True)
class Finding:
    """One applied revision whose file does not match the log (or that the log lacks)."""

    revision: str
    problem: Problem
    path: str | None
    recorded: Entry | None
    """The log row the file was compared with (None for `unrecorded`)."""
    checksum: str | None
    """The file's checksum now (None when it is deleted)."""

    @property
    def blocks(self) -> bool:
        """True for an edited or deleted file: upgrade and downgrade refuse to run."""
        return self.problem != "unrecorded"

    def line(self) -> str:
        """One line for the user."""
        where = f" ({self.path})" if self.path else ""
        when = ""
        if self.recorded is not None:
            who = self.recorded.who
            when = (
                f"; recorded {self.recorded.started_at:%Y-%m-%d %H:%M:%S} UTC "
                f"by {who.os_user}@{who.host}"
            )
        if self.problem == "edited":
            return f"{self.revision}{where}: edited since it was applied{when}"
        if self.problem == "deleted":
            return f"{self.revision}: applied, but its revision file is gone{when}"
        return f"{self.revision}{where}: applied without distill, no checksum recorded yet"


def applied_revisions(rows: Sequence[str], graph: RevisionGraph) -> tuple[set[str], set[str]]:
    """(revisions applied according to the version rows, rows no revision file declares)."""
    known = [row for row in rows if row in graph]
    unknown = {row for row in rows if row not in graph}
    return set(graph.ancestors(known)), unknown


def find_problems(
    rows: Sequence[str],
    graph: RevisionGraph,
    entries: Sequence[Entry],
    checksum_of: Callable[[str], str | None],
) -> list[Finding]:
    """The applied revisions whose file was edited or deleted, or that have no log row.

    `checksum_of(revision)` is the checksum of the revision's file now (None: no file).
    Deleted: a version row no file declares, and, when there is one, every revision the
    log holds as applied whose file is gone too (the rest of the removed branch). A file
    `distill squash --finalize` wrote (it lists itself in `squashed`) is not edited.
    """
    applied, unknown = applied_revisions(rows, graph)
    latest = standing(entries)
    if unknown:
        # a row no file declares hides its ancestors from the graph: the log still knows them
        applied |= {rev for rev, entry in latest.items() if entry.applies and rev in graph}
    findings: list[Finding] = []
    for rev in sorted(applied, key=lambda rev: (graph.level[rev], rev)):
        entry = latest.get(rev)
        path = graph.get(rev).path or None
        now = checksum_of(rev)
        if entry is None or not entry.applies:
            findings.append(Finding(rev, "unrecorded", path, None, now))
        elif now is None:
            findings.append(Finding(rev, "deleted", path, entry, None))
        elif entry.checksum != now and rev not in squashed_revisions(path):
            findings.append(Finding(rev, "edited", path, entry, now))
    gone = set(unknown)
    if unknown:
        gone |= {rev for rev, entry in latest.items() if entry.applies and rev not in graph}
    for rev in sorted(gone):
        entry = latest.get(rev)
        recorded = entry if entry is not None and entry.applies else None
        findings.append(Finding(rev, "deleted", None, recorded, None))
    return findings
