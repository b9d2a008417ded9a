"""The applied-revision log at work during a run: a RevisionObserver that checks, records
and reads back.

- `run_started`: the files of the applied revisions are compared with the log; an edited
  or deleted one refuses the run (EditedRevisions) unless `allow_edited`, which records
  the edit as accepted. The log table is created if needed, and applied revisions the log
  does not know (a database Alembic migrated, or revisions applied by a --sql script) are
  recorded as their files are now, with a notice: the database is adopted.
- `revision_applied`: one row per revision applied or reverted (per revision a stamp
  moves), inside the revision's transaction, so it commits or rolls back with the
  revision's version-row change.
- `revision_failed`: the failure is written on a connection of its own once the revision
  was rolled back (the run's connection keeps its transaction history for the failure
  message); a failure to write it never hides the revision's error.
- once the run is over and the last revision committed (`run_finished`, or the commit of
  env.py's transaction after it): the version table is read back and must hold the
  heads the plan meant to reach.

Without transactional DDL (MySQL/MariaDB) it also records each completed directive of
the running revision in `distill_progress` and resumes a revision a failed run left
half-applied (runtime/resume.py: `operation_finished`, `revision_started`).

State is kept per MigrationContext: a multi-database env.py runs several with one request.
A dry run (`RunRequest.dry_run`) is checked like a real one and records nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from distill.errors import DistillError, EditedRevisions
from distill.runtime.checksums import checksum_of_file
from distill.runtime.ledger import Direction, Entry, LogTable, Who, utcnow
from distill.runtime.observers import RevisionObserver, RevisionRun
from distill.runtime.report import notice
from distill.runtime.request import Stamp
from distill.runtime.resume import Done, OperationGate, ProgressTable, kept_note, resume_notice
from distill.runtime.verification import Finding, find_problems
from distill.runtime.version_table import VersionTable

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Connection

    from distill.graph import RevisionGraph, Step
    from distill.runtime.migrator import MigrationContext


@dataclass
class _RunState:
    """What the observer knows about one MigrationContext's run."""

    log: LogTable
    heads: list[str]
    expected: list[str] = field(default_factory=list)
    planned: int = 0
    committed: int = 0
    finished: bool = False
    started_at: datetime | None = None
    operations: list[str] = field(default_factory=list)
    """What the running revision's completed directives did, in order."""
    progress: ProgressTable | None = None
    """Without transactional DDL: where completed directives are recorded for a resume."""
    half_applied: dict[tuple[str, str], list[Done]] = field(default_factory=dict)
    newest: dict[str, Entry] = field(default_factory=dict)
    gate: OperationGate | None = None


def _applied(graph: RevisionGraph, rows: Sequence[str]) -> set[str]:
    """Every revision the version rows stand for (rows no file declares count as themselves)."""
    known = [row for row in rows if row in graph]
    return set(graph.ancestors(known)) | {row for row in rows if row not in graph}


def _moved(rows: list[str], step: Step) -> list[str]:
    """The version rows after `step`."""
    after = [row for row in rows if row not in step.removes]
    after.extend(row for row in step.adds if row not in after)
    return after


def _cause(error: BaseException) -> str:
    """`ErrorType: first line` of an exception (the driver's error when there is one)."""
    inner = getattr(error, "orig", None) or error
    lines = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {lines[0]}" if lines else type(inner).__name__


def refusal(findings: Sequence[Finding], log_name: str) -> str:
    """The one line upgrade / downgrade refuse with."""
    named = ", ".join(
        f"{f.revision} {f.problem}" + (f" ({f.path})" if f.path else "") for f in findings
    )
    count = len(findings)
    return (
        f"{count} applied revision{'s' if count > 1 else ''} changed since "
        f"{'they were' if count > 1 else 'it was'} applied: {named}. Restore the file"
        f"{'s' if count > 1 else ''} as applied (`distill verify` checks), or run again "
        f"with --allow-edited to accept the change (recorded in {log_name})"
    )


class LedgerObserver(RevisionObserver):
    """Keeps the applied-revision log of the runs it is told about."""

    def __init__(self, *, allow_edited: bool = False, refuse_edited: bool = True) -> None:
        """`refuse_edited=False` (stamp): edited files neither refuse nor get accepted."""
        self.allow_edited = allow_edited
        self.refuse_edited = refuse_edited
        self._who: Who | None = None
        self._runs: dict[int, _RunState] = {}

    @property
    def who(self) -> Who:
        """Who runs (looked up when the first row is written: a no-op run writes none)."""
        if self._who is None:
            self._who = Who.current()
        return self._who

    # -- before the plan ---------------------------------------------------------------

    def run_started(self, context: MigrationContext, heads: tuple[str, ...]) -> None:
        """Check the applied revisions' files, create the log, adopt what it lacks."""
        if context.script is None or context.connection is None:
            return
        connection: Connection = context.connection
        graph = context.script.graph
        state = _RunState(LogTable(context.version_table_schema), list(heads))
        self._runs[id(context)] = state
        had_log = state.log.exists(connection)
        entries = state.log.read(connection) if had_log else []

        def checksum_of(rev: str) -> str | None:
            return checksum_of_file(graph.get(rev).path)

        findings = find_problems(heads, graph, entries, checksum_of)
        blocking = [finding for finding in findings if finding.blocks and self.refuse_edited]
        if blocking and not self.allow_edited:
            raise EditedRevisions(refusal(blocking, state.log.qualified_name))
        if getattr(context.request, "dry_run", False):
            # a dry run is checked like the real one, and records nothing: what it ran
            # is rolled back, so neither its rows nor a read-back would be true
            del self._runs[id(context)]
            return
        if not had_log:
            state.log.create(connection)
        if not context.transactional_ddl:
            self._open_progress(context, connection, state, entries)
        now = utcnow()
        rows = [
            self._entry(f.revision, "upgrade", "accept", f.checksum, now, note=_accepted(f))
            for f in blocking
        ]
        unrecorded = [finding for finding in findings if finding.problem == "unrecorded"]
        rows += [
            self._entry(f.revision, "upgrade", "adopt", f.checksum, now, note=_adopted(had_log))
            for f in unrecorded
        ]
        state.log.append(connection, rows)
        state.newest.update((row.revision, row) for row in rows)
        if blocking:
            notice(
                "--allow-edited: "
                + "; ".join(finding.line() for finding in blocking)
                + f". Accepted as they are now and recorded in {state.log.qualified_name}"
            )
        if unrecorded:
            names = ", ".join(finding.revision for finding in unrecorded)
            what = (
                "Adopted this database (migrated without distill)"
                if not had_log
                else "Recorded revisions applied without distill"
            )
            notice(
                f"{what}: {len(unrecorded)} applied revision(s) ({names}) recorded in "
                f"{state.log.qualified_name} with their files as they are now"
            )

    def _open_progress(
        self,
        context: MigrationContext,
        connection: Connection,
        state: _RunState,
        entries: Sequence[Entry],
    ) -> None:
        """Create `distill_progress` and read the revisions a failed run left half-applied;
        a stamp (the database repaired by hand) forgets them."""
        state.progress = ProgressTable(context.version_table_schema)
        state.progress.create(connection)
        state.half_applied = state.progress.read(connection)
        for entry in entries:
            state.newest[entry.revision] = entry
        if isinstance(context.request.action, Stamp) and state.half_applied:
            state.progress.forget(connection)
            names = ", ".join(sorted({rev for rev, _ in state.half_applied}))
            notice(f"Stamp: forgot where the failed run of {names} stopped (no resume)")
            state.half_applied = {}

    def run_planned(self, context: MigrationContext, steps: Sequence[Step]) -> None:
        """Remember where the plan leads, to read it back after the last commit."""
        state = self._runs.get(id(context))
        if state is None:
            return
        expected = list(state.heads)
        for step in steps:
            expected = _moved(expected, step)
        state.expected = expected
        state.planned = len(steps)
        state.committed = 0
        state.finished = False

    def run_finished(self, context: MigrationContext) -> None:
        """Read the version table back now if every revision committed, else after the
        commit of env.py's transaction (revision_committed)."""
        state = self._runs.get(id(context))
        if state is None or context.connection is None:
            return
        state.finished = True
        if state.committed >= state.planned:
            self._read_back(context, context.connection, state)

    # -- per revision ------------------------------------------------------------------

    def revision_started(self, run: RevisionRun) -> None:
        """Note the start time."""
        state = self._runs.get(id(run.context))
        if state is not None:
            state.started_at = utcnow()
            state.operations = []
            state.gate = None
            if state.progress is not None and run.step.kind != "stamp" and run.revision:
                state.gate = self._gate(run, state, state.progress)
                run.context.operation_gate = state.gate

    def _gate(self, run: RevisionRun, state: _RunState, progress: ProgressTable) -> OperationGate:
        """The revision's operation gate: a resume when a run in this direction that did not
        finish (it failed, or its process died) left completed directives recorded."""
        assert run.revision is not None
        key = (run.revision, run.direction)
        done = state.half_applied.pop(key, [])
        newest = state.newest.get(run.revision)
        written = done[0].finished_at if done else None
        if (
            newest is not None
            and newest.outcome == "ok"
            and written is not None
            and newest.started_at > written  # recorded as applied (a stamp, an adopt) since
        ):
            progress.forget(run.connection, [run.revision])
            done = []
        if done:
            notice(resume_notice(run.revision, run.direction, done))
        return OperationGate(run.revision, run.direction, done, run.connection)

    def operation_finished(self, context: MigrationContext, operation: object) -> None:
        """Count a completed directive of the running revision."""
        state = self._runs.get(id(context))
        if state is None:
            return
        describe = getattr(operation, "describe", None)
        state.operations.append(describe() if callable(describe) else type(operation).__name__)
        gate, progress = state.gate, state.progress
        if gate is None or progress is None or gate.current is None:
            return
        if gate.position > len(gate.done):  # it ran (a skipped one is recorded already)
            done, revision, direction = gate.current, gate.revision, gate.direction
            context.commit_operation(
                lambda connection: progress.add(connection, revision, direction, done, utcnow())
            )

    def revision_applied(self, run: RevisionRun) -> None:
        """Write the revision's rows in its own transaction."""
        state = self._runs.get(id(run.context))
        if state is None or run.context.script is None:
            return
        started = state.started_at or utcnow()
        step = run.step
        if state.gate is not None:  # the migrator told it the revision's code returned
            state.gate = None
            run.context.operation_gate = None
        after = _moved(state.heads, step)
        if step.kind == "stamp":
            entries = self._stamp_entries(run.context.script.graph, state.heads, after, started)
        else:
            assert step.revision is not None
            entries = [
                self._entry(
                    step.revision,
                    step.kind,
                    "run",
                    checksum_of_file(run.path),
                    started,
                    finished=utcnow(),
                    operations=len(state.operations),
                )
            ]
        state.log.append(run.connection, entries)
        if state.progress is not None:
            state.progress.forget(run.connection, sorted({entry.revision for entry in entries}))
        state.heads = after

    def _stamp_entries(
        self, graph: RevisionGraph, before: list[str], after: list[str], started: datetime
    ) -> list[Entry]:
        """A row for every revision a stamp marks applied or not applied."""
        was, now = _applied(graph, before), _applied(graph, after)

        def order(revs: set[str]) -> list[str]:
            """Oldest first: by distance from a base, then by id."""
            return sorted(revs, key=lambda rev: (graph.level.get(rev, 0), rev))

        def path(rev: str) -> str | None:
            return graph.get(rev).path if rev in graph else None

        finished = utcnow()
        entries = [
            self._entry(
                rev, "upgrade", "stamp", checksum_of_file(path(rev)), started, finished=finished
            )
            for rev in order(now - was)
        ]
        entries += [
            self._entry(
                rev, "downgrade", "stamp", checksum_of_file(path(rev)), started, finished=finished
            )
            for rev in reversed(order(was - now))
        ]
        return entries

    def revision_committed(self, run: RevisionRun) -> None:
        """After the plan's last commit, read the version table back."""
        state = self._runs.get(id(run.context))
        if state is None:
            return
        state.committed += 1
        # only once run_migrations() is done: a raise inside a step would fail the revision
        if state.finished and state.committed == state.planned:
            self._read_back(run.context, run.connection, state)

    def revision_failed(
        self, run: RevisionRun, error: BaseException, statement: str | None
    ) -> None:
        """Record the failure on a connection of its own; never hide the revision's error."""
        state = self._runs.get(id(run.context))
        if state is not None and state.gate is not None:
            state.gate.stop_guard()
        if state is None or run.connection.in_transaction():
            return  # still inside the caller's transaction: nothing may be written beside it
        step = run.step
        operations = state.operations
        if state.gate is not None:
            done = [d.description for d in state.gate.done]
            operations = done + operations[len(done) :]  # what stays in the database
        entry = self._entry(
            step.revision or ", ".join(step.adds) or "<base>",
            "downgrade" if step.kind == "downgrade" else "upgrade",
            "stamp" if step.kind == "stamp" else "run",
            checksum_of_file(run.path),
            state.started_at or utcnow(),
            finished=utcnow(),
            outcome="failed",
            statement=statement,
            error=_cause(error),
            operations=len(operations),
            note=_kept(run.context, operations, state.progress is not None),
        )
        try:
            with run.connection.engine.connect() as own, own.begin():
                state.log.create(own)
                state.log.append(own, [entry])
        except Exception as failure:  # the revision's own error is what must be seen
            notice(
                f"The failure could not be recorded in {state.log.qualified_name}: "
                f"{_cause(failure)}"
            )

    # -- helpers -----------------------------------------------------------------------

    def _entry(
        self,
        revision: str,
        direction: Direction | str,
        action: str,
        checksum: str | None,
        started: datetime,
        *,
        finished: datetime | None = None,
        outcome: str = "ok",
        statement: str | None = None,
        error: str | None = None,
        note: str | None = None,
        operations: int | None = None,
    ) -> Entry:
        return Entry(
            revision=revision,
            direction="downgrade" if direction == "downgrade" else "upgrade",
            action=action,  # type: ignore[arg-type]
            outcome="failed" if outcome == "failed" else "ok",
            checksum=checksum,
            started_at=started,
            finished_at=finished if finished is not None else started,
            who=self.who,
            failing_statement=statement,
            error=error,
            note=note,
            operations=operations,
        )

    def _read_back(
        self, context: MigrationContext, connection: Connection, state: _RunState
    ) -> None:
        """The version table must hold the heads the plan meant to reach."""
        ours = context.run_transaction_open  # begun after the last revision's commit
        if connection.in_transaction() and not ours:
            return  # a transaction that is not the run's: not ours to read in
        table = VersionTable(context.version_table, context.version_table_schema)
        try:
            rows = table.read(connection)
        finally:
            if not ours and connection.in_transaction():
                connection.rollback()
        if sorted(rows) != sorted(state.expected):
            raise DistillError(
                f"After the run the version table {table.qualified_name} holds "
                f"{', '.join(sorted(rows)) or '<base>'} but the run meant to reach "
                f"{', '.join(sorted(state.expected)) or '<base>'}: something else changed it "
                "during the run (another process, or a revision writing to it). Check with "
                "`distill current` and `distill log`, then fix it with `distill stamp`"
            )


def _kept(context: MigrationContext, operations: Sequence[str], resumable: bool) -> str | None:
    """On a database that cannot roll DDL back: the directives that completed and stay."""
    if context.transactional_ddl or not operations:
        return None
    if resumable:
        return kept_note(operations, context.impl.name)
    done = "; ".join(f"{number}. {text}" for number, text in enumerate(operations, 1))
    return (
        f"{len(operations)} operation(s) completed before the failure and are not rolled "
        f"back ({context.impl.name} commits DDL at once): {done}"
    )


def _accepted(finding: Finding) -> str:
    """The note of a row accepting an edited or deleted file."""
    was = finding.recorded.checksum if finding.recorded is not None else None
    return f"--allow-edited: file {finding.problem} since applied (checksum was {was})"


def _adopted(had_log: bool) -> str:
    """The note of a row adopting a revision applied without distill."""
    if had_log:
        return "applied without distill; recorded as its file is now"
    return "database adopted: applied without distill; recorded as its file is now"
