"""The applied-revision log as `verify`, `log` and `history --applied` read it: read-only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from distill.runtime.checksums import checksum_of_file
from distill.runtime.ledger import Entry, LogTable
from distill.runtime.verification import Finding, applied_revisions, find_problems

if TYPE_CHECKING:
    from distill.runtime.migrator import MigrationContext


@dataclass(frozen=True)
class LedgerView:
    """What the database's log and version table say about the files on disk."""

    log_name: str
    has_log: bool
    rows: tuple[str, ...]
    """The version rows."""
    entries: tuple[Entry, ...]
    """The log, oldest first (the newest `limit` rows when read with a limit)."""
    findings: tuple[Finding, ...]
    applied: frozenset[str]
    """Every revision the version rows stand for that a file declares."""

    @property
    def blocking(self) -> list[Finding]:
        """The edited and deleted applied revisions."""
        return [finding for finding in self.findings if finding.blocks]

    def last_applied(self, rev: str) -> Entry | None:
        """The newest row that applied `rev` by running, stamping or adopting it."""
        for entry in reversed(self.entries):
            if entry.revision == rev and entry.applies and entry.action != "accept":
                return entry
        return None

    def finding(self, rev: str) -> Finding | None:
        """The finding about `rev`, if any."""
        return next((found for found in self.findings if found.revision == rev), None)

    def mark(self, rev: str) -> str:
        """` [applied <when> UTC by <user>@<host>]` for an applied revision, else ``."""
        if rev not in self.applied:
            return ""
        entry = self.last_applied(rev)
        if entry is None:
            text = "applied, not recorded"
        else:
            who = entry.who
            text = f"applied {entry.started_at:%Y-%m-%d %H:%M:%S} UTC by {who.os_user}@{who.host}"
        found = self.finding(rev)
        if found is not None and found.problem == "edited":
            text += "; file EDITED since"
        return f" [{text}]"

    def marked(self, rev: str, text: str) -> str:
        """`text` (a history entry) with the mark of `rev` at the end of its first line."""
        first, newline, rest = text.partition("\n")
        return first + self.mark(rev) + newline + rest


def read_ledger(
    context: MigrationContext, heads: Sequence[str], limit: int | None = None
) -> LedgerView:
    """Read the log of the database `context` is connected to and compare it with the files.

    `limit` reads only the newest rows (for `distill log`; findings are then not computed).
    """
    assert context.connection is not None and context.script is not None
    connection = context.connection
    graph = context.script.graph
    log = LogTable(context.version_table_schema)
    has_log = log.exists(connection)
    entries = log.read(connection, limit=limit) if has_log else []
    findings: list[Finding] = []
    if limit is None:
        findings = find_problems(
            heads, graph, entries, lambda rev: checksum_of_file(graph.get(rev).path)
        )
    applied, _ = applied_revisions(heads, graph)
    return LedgerView(
        log.qualified_name,
        has_log,
        tuple(heads),
        tuple(entries),
        tuple(findings),
        frozenset(applied),
    )


def _seconds(entry: Entry) -> str:
    if entry.finished_at is None:
        return "-"
    return f"{(entry.finished_at - entry.started_at).total_seconds():.2f}s"


def log_lines(entries: Sequence[Entry]) -> list[str]:
    """One line per row, in the order given: when, what, outcome, who, checksum, notes."""
    lines = []
    for entry in entries:
        checksum = entry.checksum[:12] if entry.checksum else "(no file)"
        who = entry.who
        line = (
            f"{entry.started_at:%Y-%m-%d %H:%M:%S}  {entry.direction:<9} {entry.revision:<14} "
            f"{entry.action:<6} {entry.outcome:<6} {_seconds(entry):>7}  "
            f"{who.os_user}@{who.host} (distill {who.distill_version})  {checksum}"
        )
        if entry.error:
            line += f"  error: {entry.error}"
        if entry.failing_statement:
            line += f"  statement: {entry.failing_statement}"
        if entry.note:
            line += f"  note: {entry.note}"
        lines.append(line)
    return lines


def log_json(entries: Sequence[Entry]) -> str:
    """The rows as a JSON array, in the order given."""
    import json

    return json.dumps([entry.as_dict() for entry in entries], indent=2)
