"""MigrationContext: carries out a RunRequest's plan on a connection (or into a script),
with the transactions each dialect allows, and keeps the version table in step.

Transactions (ALEMBIC-FACTS §5, plus distill's deliberate changes):
- transactional DDL (PostgreSQL, and SQLite, whose driver is made to BEGIN for real):
  one transaction per revision, holding its version-row change, so a failure or a killed
  process costs only that revision; one for the whole run when env.py passes
  `transaction_per_migration=False` explicitly (Alembic's default). --sql scripts keep
  Alembic's one BEGIN/COMMIT per run unless `transaction_per_migration=True`.
- non-transactional DDL (MySQL/MariaDB): each revision in its own transaction, its
  version row committed right after it, so a failure leaves the earlier ones recorded.
- when env.py opens no transaction at all, each revision gets its own (Alembic would
  leave the work uncommitted and lose it when the connection closes).

`RunRequest.observers` (runtime/observers.py, which says when each is told) follow an
online run revision by revision; `_run_step` tells them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from distill.errors import DistillError, RevisionFailure, attach_failure, revision_failure
from distill.runtime.configuring import RunTransaction, dialect_for, open_sink
from distill.runtime.observers import RevisionRun, notify
from distill.runtime.report import StepEvent, get_reporter
from distill.runtime.request import RunRequest, split_options
from distill.runtime.sink import ConnectionSink, ScriptOutput, ScriptSink

# MigrationInfo: Alembic's runtime.migration module, which compat serves from this one, has it
from distill.runtime.steps import MigrationInfo as MigrationInfo
from distill.runtime.steps import describe_step, import_revisions, known_revision, migration_info
from distill.runtime.version_table import DEFAULT_NAME, VersionTable

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Dialect, Transaction
    from sqlalchemy.sql.base import Executable

    from distill.config import Config
    from distill.dialects.run_hooks import DDLTransactions
    from distill.graph import Step
    from distill.runtime.dry_run import DryRun
    from distill.runtime.environment import EnvironmentContext
    from distill.scripts.directory import ScriptDirectory


class MigrationContext:
    """The database (or script) a migration runs against, with Alembic's public API."""

    def __init__(
        self,
        dialect: Dialect,
        connection: Connection | None,
        opts: Mapping[str, Any],
        environment_context: EnvironmentContext | None = None,
        *,
        request: RunRequest | None = None,
    ) -> None:
        """`opts` are configure() options; Alembic's run options among them (`fn`,
        `as_sql`, `script`, `starting_rev`, ...) are folded into `request`."""
        from distill.dialects import impl_class_for, impl_for
        from distill.dialects.run_hooks import DDLTransactions

        run_options, configure_options = split_options(opts)
        self.request = (request or RunRequest()).with_options(run_options)
        if self.request.locking is not None and self.request.locking.ddl_lock_timeout is not None:
            # the modules of locking and dry runs load only for runs that use them
            from distill.runtime.ddl_retry import with_lock_timeout

            self.request = with_lock_timeout(self.request)
        self.environment_context = environment_context
        self.opts = configure_options
        opts = configure_options
        self.dialect = dialect
        # one transaction per revision unless env.py asked for one per run explicitly;
        # --sql scripts keep Alembic's one BEGIN/COMMIT per run unless asked otherwise
        per_migration = opts.get("transaction_per_migration")
        self._transaction_per_migration = (
            not self.as_sql if per_migration is None else bool(per_migration)
        )
        # Alembic's meaning of an explicit True: begin_transaction() opens nothing, each
        # step opens its own; by default begin_transaction() opens the transaction (code
        # running ops inside it needs one) and the run commits it after each revision
        self._per_migration_asked = bool(per_migration)
        callbacks = opts.get("on_version_apply") or ()
        self.on_version_apply_callbacks: tuple[Callable[..., Any], ...] = (
            (callbacks,) if callable(callbacks) else tuple(callbacks)
        )
        self.version_table: str = opts.get("version_table", DEFAULT_NAME)
        self.version_table_schema: str | None = (
            opts.get("version_table_schema") or self.request.tenant_schema
        )
        self._version = VersionTable(
            self.version_table,
            self.version_table_schema,
            primary_key=opts.get("version_table_pk", True),
        )
        self.output_buffer: Any = opts.get("output_buffer") or sys.stdout
        self._output = ScriptOutput(self.output_buffer, opts.get("output_encoding"))
        literal_binds = bool(opts.get("literal_binds", False))

        self._transaction: Transaction | None = None
        # what makes DDL transactional on this connection, entered around each transaction
        self._ddl_transactions: DDLTransactions = DDLTransactions()
        self._sink, self.connection, self._watch = open_sink(
            dialect,
            connection,
            self._output,
            as_sql=self.as_sql,
            literal_binds=literal_binds,
            tenant_schema=self.request.tenant_schema,
        )
        live_connection = connection if self._watch is not None else None
        self._in_external_transaction = bool(live_connection and live_connection.in_transaction())

        transactional_ddl: bool | None = opts.get("transactional_ddl")
        live = isinstance(self._sink, ConnectionSink)
        transactions = impl_class_for(dialect).ddl_transactions(self.connection) if live else None
        if transactions is not None and not transactions.available and transactional_ddl is None:
            # its DDL commits at once whatever distill does: say so, as Alembic does
            transactional_ddl = False
        self.impl = impl_for(dialect, self._sink, transactional_ddl=transactional_ddl, opts=opts)
        if isinstance(self._sink, ScriptSink):
            self._sink.terminator = getattr(self.impl, "command_terminator", ";")
            self._sink.batch_separator = getattr(self.impl, "batch_separator", None)
        elif self.impl.transactional_ddl and transactions is not None:
            self._ddl_transactions = transactions

        self._heads: list[str] = []
        # for failure messages: commits seen before the run and before the step began
        self._commits_at_run_start = 0
        self._step_watch_marks = (0, 0)
        self._committed_in_step = False  # an autocommit block of the step committed
        self._step_owns_transaction = False  # the step opened the transaction it ran in
        self._release_lock: Callable[[], None] | None = None  # the deploy lock, when held
        self._running = False
        # True while the step running is not the plan's last: its commit may be deferred
        self._more_steps = False
        self._dry_run: DryRun | None = None  # set while a dry run runs
        # the running revision's directives start through it (runtime/resume.py)
        self.operation_gate: Any = None
        # revisions applied whose transaction has not committed yet, for the observers,
        # and those whose COMMIT was seen but not yet told
        self._awaiting_commit: list[RevisionRun] = []
        self._seen_committed: list[RevisionRun] = []
        if self._watch is not None:
            self._watch.on_commit = self._commit_seen
            self._watch.on_rollback = self._awaiting_commit.clear

        reporter = get_reporter()
        reporter.info(f"Context impl {type(self.impl).__name__}.")
        if self.as_sql:
            reporter.info("Generating static SQL")
        reporter.info(
            f"Will assume {'' if self.impl.transactional_ddl else 'non-'}transactional DDL."
        )

    @classmethod
    def configure(
        cls,
        connection: Connection | None = None,
        url: str | URL | None = None,
        dialect_name: str | None = None,
        dialect: Dialect | None = None,
        environment_context: EnvironmentContext | None = None,
        dialect_opts: Mapping[str, Any] | None = None,
        opts: Mapping[str, Any] | None = None,
        *,
        request: RunRequest | None = None,
    ) -> MigrationContext:
        """A MigrationContext for a connection, a URL, or just a dialect name (for --sql).

        `request` is what to run; Alembic's run options in `opts` are folded into it.
        """
        dialect = dialect_for(connection, url, dialect_name, dialect, dialect_opts)
        return cls(dialect, connection, dict(opts or {}), environment_context, request=request)

    # -- what env.py and applications read --------------------------------------------------

    @property
    def script(self) -> ScriptDirectory | None:
        """The migration folder the revisions come from (None for a bare context)."""
        return self.request.script

    @property
    def as_sql(self) -> bool:
        """True when SQL is written to a script instead of run (--sql)."""
        return self.request.as_sql

    @property
    def purge(self) -> bool:
        """True when the version table is emptied before the plan (stamp --purge)."""
        return self.request.purge

    @property
    def bind(self) -> Any:
        """The Connection (online) or a MockConnection that writes to the script (offline)."""
        return self.connection

    @property
    def config(self) -> Config | None:
        """The Config of the running command, if any."""
        return self.environment_context.config if self.environment_context else None

    @property
    def transactional_ddl(self) -> bool:
        """True when DDL runs inside transactions here."""
        return bool(self.impl.transactional_ddl)

    def _live(self, what: str) -> Connection:
        """The connection, or a clear error for a context configured from a dialect alone."""
        if self.connection is None:
            raise DistillError(
                f"MigrationContext.{what} needs a database connection, and this context was "
                f"configured from a dialect ({self.dialect.name}) only; pass connection=... "
                "to MigrationContext.configure() (or opts={'as_sql': True} for a script)"
            )
        return self.connection  # type: ignore[no-any-return]

    def get_current_revision(self) -> str | None:
        """The single revision the database is at (None when empty)."""
        heads = self.get_current_heads()
        if len(heads) > 1:
            raise DistillError(
                f"Version table '{self.version_table}' has more than one head present; "
                "please use get_current_heads()"
            )
        return heads[0] if heads else None

    def get_current_heads(self) -> tuple[str, ...]:
        """The revisions in the version table; offline, the starting revision(s) given."""
        if self.as_sql:
            return self.request.offline_heads()
        if self.request.start:
            raise DistillError(
                "Can't specify current_rev to context when using a database connection: "
                "a starting revision (`upgrade start:end`) is only for --sql scripts"
            )
        return self._version.read(self._live("get_current_heads()"))

    # -- the version table ----------------------------------------------------------------

    def ensure_version_table(self) -> None:
        """Create the version table unless it exists (offline: write its CREATE)."""
        if self.as_sql or not self._version.exists(self._live("ensure_version_table()")):
            self._sink.execute(self._version.create_statement())

    def purge_version_table(self) -> None:
        """Delete every version row (`stamp --purge`), creating the table if needed."""
        if self.as_sql:
            raise DistillError("Can't use --purge with --sql mode")
        self.ensure_version_table()
        self._version.purge(self._sink)
        self._heads = []

    def stamp(self, script_directory: ScriptDirectory, revision: str | Sequence[str]) -> None:
        """Set the version table to `revision` without running any migration."""
        heads = self.get_current_heads()
        if not self.as_sql and not heads:
            self.ensure_version_table()
        targets = [revision] if isinstance(revision, str) else list(revision)
        for step in script_directory.graph.stamp_plan(heads, targets, False):
            self._version.apply(self._sink, step.removes, step.adds)

    # -- running --------------------------------------------------------------------------

    def run_migrations(self, **kw: Any) -> None:
        """Carry out the run request; `kw` goes to every upgrade()/downgrade()."""
        if self.request.dry_run and not self.as_sql:
            with self._dry_run_scope():
                self._run_plan(kw)
        else:
            self._run_plan(kw)

    def _run_plan(self, kw: Mapping[str, Any]) -> None:
        """Read the version table, plan, and run each step in its transaction."""
        idle_at_start = self.as_sql or not self._live("run_migrations()").in_transaction()
        self._take_deploy_lock()
        self._ddl_transactions.enter()
        if self._watch is not None:
            self._watch.start()
            self._commits_at_run_start = self._watch.commits
        self._running = True
        try:
            if self.purge:
                self.purge_version_table()
                heads: tuple[str, ...] = ()
            else:
                heads = self.get_current_heads()
                if not self.as_sql and not heads and self.request.create_version_table:
                    self.ensure_version_table()
            self._heads = list(heads)
            live = isinstance(self._sink, ConnectionSink)
            if live:
                notify(self.request.observers, "run_started", self, tuple(heads))
            steps = self.request.action.steps(heads, self)
            import_revisions(self.script, steps)
            if not steps and self.request.locking is not None:
                from distill.runtime.deploy_lock import nothing_left

                nothing_left(self.request.action)
            reporter = get_reporter()
            reporter.run_started(len(steps))
            if live:
                notify(self.request.observers, "run_planned", self, steps)
            for number, step in enumerate(steps, 1):
                event = StepEvent(
                    number, len(steps), step.kind, step.revision, describe_step(self.script, step)
                )
                self._more_steps = number < len(steps)
                self._run_step_retrying(step, event, kw, own_transaction=idle_at_start)
            self._more_steps = False
            # what this run began implicitly (the version table, stamps) is committed
            if (
                idle_at_start
                and self._transaction is None
                and not self.as_sql
                and self.connection.in_transaction()
            ):
                with self._ours():
                    self.connection.commit()
            self._tell_committed()
            if live:
                notify(self.request.observers, "run_finished", self)
        finally:
            self._running = False
            self._more_steps = False
            if self._watch is not None and self._transaction is None:
                self._watch.stop()  # else when env.py's transaction ends
            self._ddl_transactions.exit()
            self._release_lock_if_done()

    def _take_deploy_lock(self) -> None:
        """Wait for the deploy lock when the request asks for one (runtime/deploy_lock.py)."""
        locking = self.request.locking
        if locking is None or locking.lock_timeout is None:
            return
        if not isinstance(self._sink, ConnectionSink):
            return
        from distill.runtime.deploy_lock import take_deploy_lock

        self._release_lock = take_deploy_lock(self, locking.lock_timeout)
        if self.environment_context is not None:
            self.environment_context.call_at_exit(self._release_lock)

    def _release_lock_if_done(self) -> None:
        """Release the deploy lock once the run is over and its transaction has ended (on
        the connection's own thread: async drivers need that). A transaction the caller
        opened ends after env.py, when the EnvironmentContext releases the lock."""
        release = self._release_lock
        if release is None or self._running or self._transaction is not None:
            return
        if self._in_external_transaction and self.environment_context is not None:
            return
        self._release_lock = None
        release()

    def _run_step_retrying(
        self, step: Step, event: StepEvent, kw: Mapping[str, Any], own_transaction: bool
    ) -> None:
        """_run_step; after a lock timeout, again in a new transaction as --retries allows
        (runtime/ddl_retry.py)."""
        heads = list(self._heads)
        attempt = 0
        while True:
            try:
                self._run_step(step, event, kw, own_transaction=own_transaction)
                return
            except Exception as error:
                if self.request.locking is None or revision_failure(error) is None:
                    raise
                attempt += 1
                from distill.runtime.ddl_retry import pause_before_retry

                pause = pause_before_retry(self, error, attempt, self._step_rolled_back_whole())
                self._heads = list(heads)
                time.sleep(pause)
                if not heads and self.request.create_version_table:
                    self.ensure_version_table()  # its creation rolled back with the step

    def _step_rolled_back_whole(self) -> bool:
        """True when the failed step ran in a transaction it opened, which rolled back with
        nothing of the step committed on the way: running it again is safe."""
        watch = self._watch
        return (
            self._step_owns_transaction
            and self.impl.transactional_ddl
            and not self._committed_in_step
            and watch is not None
            and watch.foreign_commits == self._step_watch_marks[0]
        )

    def _run_step(
        self, step: Step, event: StepEvent, kw: Mapping[str, Any], own_transaction: bool
    ) -> None:
        reporter = get_reporter()
        started = time.perf_counter()
        self._committed_in_step = False
        if self._watch is not None:
            self._step_watch_marks = (self._watch.foreign_commits, self._watch.foreign_rollbacks)
        self._tell_committed()
        in_owned_transaction = False
        self._step_owns_transaction = False
        opened_before = self._transaction is not None
        self.operation_gate = None
        run = self._revision_run(step)
        try:
            with self._step_transaction(own_transaction):
                in_owned_transaction = self._transaction is not None
                self._step_owns_transaction = in_owned_transaction and not opened_before
                if self.as_sql and not self._heads:
                    self._sink.execute(self._version.create_statement())
                if step.kind == "stamp":
                    reporter.stamp(event)
                else:
                    reporter.step_started(event)
                if self._dry_run is not None:
                    self._dry_run.step(step.revision, event.line)
                if self.as_sql:
                    text = describe_step(self.script, step, with_doc=False)
                    self.static_output(f"-- Running {event.verb} {text}")
                if run is not None:
                    notify(self.request.observers, "revision_started", run)
                self._apply(step, kw)
                if run is not None:
                    notify(self.request.observers, "revision_applied", run)
                    self._awaiting_commit.append(run)
            self._commit_revision()
        except Exception as error:
            self._rollback_run()
            reporter.step_failed(event, time.perf_counter() - started)
            self._tell_failure(run, error)
            if revision_failure(error) is None:
                # the revision's own exception goes on, described (Alembic lets it through)
                attach_failure(error, self._failure(step, error, in_owned_transaction))
            raise
        if step.kind != "stamp":
            reporter.step_finished(event, time.perf_counter() - started)

    def _revision_run(self, step: Step) -> RevisionRun | None:
        """What observers are told about `step`; None when nobody listens or offline."""
        if not self.request.observers or not isinstance(self._sink, ConnectionSink):
            return None
        revision = known_revision(self.script, step.revision)
        path = revision.path if revision is not None and revision.path else None
        return RevisionRun(step=step, path=path, connection=self.connection, context=self)

    def _tell_failure(self, run: RevisionRun | None, error: Exception) -> None:
        """revision_failed for the observers; the revisions awaiting commit did not commit."""
        self._awaiting_commit.clear()
        self._tell_committed()
        if run is None:
            return
        from distill.runtime import failures

        statement = failures.failing_statement(error)
        notify(self.request.observers, "revision_failed", run, error, statement)

    def _commit_seen(self) -> None:
        """The connection is committing: what awaited a commit gets it."""
        self._seen_committed.extend(self._awaiting_commit)
        self._awaiting_commit.clear()

    def _tell_committed(self) -> None:
        """revision_committed for the revisions whose COMMIT was seen."""
        runs, self._seen_committed = self._seen_committed, []
        for run in runs:
            notify(self.request.observers, "revision_committed", run)

    def _ours(self) -> AbstractContextManager[None]:
        """A block whose commits and rollbacks the runtime asks for itself."""
        return self._watch.ours() if self._watch is not None else nullcontext()

    def _apply(self, step: Step, kw: Mapping[str, Any]) -> None:
        """The step's migration function, its version rows, then the callbacks."""
        from distill.operations.api import Operations

        with Operations.context(self):
            if step.kind != "stamp":
                self._migration_function(step)(**kw)
                if self.operation_gate is not None:  # a resume met all it skipped
                    self.operation_gate.finish()
            self._version.apply(self._sink, step.removes, step.adds)
            for version in step.removes:
                if version in self._heads:
                    self._heads.remove(version)
            self._heads.extend(version for version in step.adds if version not in self._heads)
            info = migration_info(self.script, step)
            for callback in self.on_version_apply_callbacks:
                callback(ctx=self, step=info, heads=set(self._heads), run_args=kw)

    def _migration_function(self, step: Step) -> Callable[..., Any]:
        if self.script is None or step.revision is None:
            raise DistillError(
                f"Cannot run {step.kind} of {step.revision}: the MigrationContext has no script "
                "directory (pass opts={'script': ScriptDirectory(...)} to configure())"
            )
        module = self.script.load_module(step.revision)
        function = getattr(module, step.kind, None)
        if not callable(function):
            path = self._path(step.revision) or "<unknown file>"
            raise DistillError(
                f"Revision {step.revision} ({path}) has no {step.kind}() "
                f"function; add `def {step.kind}() -> None:` to the file"
            )
        return function  # type: ignore[no-any-return]

    def _path(self, rev: str | None) -> str | None:
        baseline = self.script.baseline if self.script is not None else None
        if baseline is not None and rev == baseline.revision:
            return baseline.path
        revision = known_revision(self.script, rev)
        return revision.path if revision is not None and revision.path else None

    @property
    def run_transaction_open(self) -> bool:
        """True while a transaction the runtime began (not the caller's) is open."""
        return self._transaction is not None and not self._in_external_transaction

    def _commit_revision(self) -> None:
        """Inside env.py's begin_transaction() block, by default: commit the revision just
        run (with its version rows) and begin the transaction of the next one."""
        if (
            self._transaction is None
            or not self._transaction_per_migration
            or self._per_migration_asked
            or self._dry_run is not None
            or not self.impl.transactional_ddl
        ):
            return
        self._finish_transaction(commit=True)
        self._transaction = self.connection.begin()

    def commit_operation(self, record: Callable[[Connection], None]) -> bool:
        """Without transactional DDL: write `record` and commit it with what the revision
        did so far (a resume point); False when the run does not own its transaction."""
        if self.transactional_ddl or self._transaction is None or self._dry_run is not None:
            return False
        if self._in_external_transaction or self.as_sql:
            return False
        record(self.connection)
        self._finish_transaction(commit=True)
        self._transaction = self.connection.begin()
        notify(self.request.observers, "transaction_reopened", self.connection)
        return True

    # -- dry run ------------------------------------------------------------------------

    @contextmanager
    def _dry_run_scope(self) -> Iterator[None]:
        """The whole run in one transaction (a savepoint inside a caller's transaction)
        that is rolled back at the end, its statements printed; commits are refused."""
        from distill.runtime.dry_run import DryRun, check_can_dry_run

        connection = self._live("run_migrations()")
        check_can_dry_run(self.impl, getattr(self.request.action, "direction", "upgrade"))
        recorder = DryRun(connection, self._output)
        savepoint = connection.begin_nested() if self._in_external_transaction else None
        own = None
        if savepoint is None and self._transaction is None:
            own = self._open_transaction()
        self._dry_run = recorder
        if self._watch is not None:
            self._watch.guard = self._refuse_commit
        recorder.start()
        try:
            yield
        finally:
            recorder.stop()
            self._dry_run = None
            if self._watch is not None:
                self._watch.guard = lambda: None
            if savepoint is not None:
                if savepoint.is_active:
                    savepoint.rollback()
            elif own is not None:
                own.rollback()
            else:  # env.py's begin_transaction() opened the run's transaction
                self._finish_transaction(commit=False)
        recorder.finished()

    def _refuse_commit(self) -> None:
        """Revision code is committing during a dry run: undo its work at the driver (the
        COMMIT never happens) and stop the run."""
        if self._dry_run is None:
            return
        self.connection.connection.dbapi_connection.rollback()
        self._dry_run.refuse_commit("connection.commit()")

    # -- transactions -------------------------------------------------------------------

    def begin_transaction(self, _per_migration: bool = False) -> AbstractContextManager[Any]:
        """Open the transaction env.py wraps run_migrations() in, as the dialect allows.

        A real transaction only where it belongs (ALEMBIC-FACTS §5): the whole run on
        transactional DDL, unless transaction_per_migration; otherwise a no-op.
        """
        if not self.as_sql:
            self._live("begin_transaction()")
        if self._in_external_transaction:
            return nullcontext()
        if self.request.dry_run and not self.as_sql:
            wanted = not _per_migration  # a dry run is one transaction, rolled back
        elif self.impl.transactional_ddl:
            wanted = _per_migration == self._per_migration_asked
        else:
            wanted = _per_migration
        if not wanted:
            return nullcontext()
        if self.as_sql:
            return self._script_transaction() if self.impl.transactional_ddl else nullcontext()
        if self._transaction is not None:
            return nullcontext()
        return self._open_transaction()

    def _step_transaction(self, own_transaction: bool) -> AbstractContextManager[Any]:
        """The per-revision transaction; also when env.py opened none on transactional DDL."""
        if (
            own_transaction
            and not self.as_sql
            and not self._in_external_transaction
            and self._transaction is None
        ):
            return self._open_transaction()
        return self.begin_transaction(_per_migration=True)

    def _open_transaction(self) -> RunTransaction:
        self._live("begin_transaction()")
        self._ddl_transactions.enter()
        try:
            # adopt the transaction reading the version table began implicitly
            self._transaction = self.connection.get_transaction() or self.connection.begin()
        except BaseException:
            self._ddl_transactions.exit()
            raise
        return RunTransaction(self._close_transaction)

    def _close_transaction(self, commit: bool) -> None:
        """End what _open_transaction() began: the transaction, then the DDL mode."""
        try:
            self._finish_transaction(commit)
        finally:
            self._ddl_transactions.exit()
            self._release_lock_if_done()

    @contextmanager
    def _script_transaction(self) -> Iterator[None]:
        self._emit(getattr(self.impl, "begin_statement", None))
        yield
        self._emit(getattr(self.impl, "commit_statement", None))

    def _emit(self, statement: str | None) -> None:
        if statement and isinstance(self._sink, ScriptSink):
            self._sink.write_statement(statement)

    def _finish_transaction(self, commit: bool) -> None:
        """Commit or roll back the transaction the runtime opened, or, when revision code
        ended that one itself (connection.commit()/rollback()), the connection's current
        one: what ran since then (the version row) rides in it, as under Alembic."""
        transaction, self._transaction = self._transaction, None
        if transaction is None:
            return
        with self._ours():
            if commit and self._more_steps and self._defers_flush_now():
                self.impl.defer_commit_flush(self.connection)  # the run's last commit waits
            if transaction.is_active:
                if commit:
                    transaction.commit()
                else:
                    transaction.rollback()
            elif self.connection.in_transaction():
                if commit:
                    self.connection.commit()
                else:
                    self.connection.rollback()
            elif self.connection.get_transaction() is transaction:
                transaction.rollback()  # a COMMIT stopped half-way (dry run): detach it
        if commit:
            self._tell_committed()
        if self._watch is not None and not self._running:
            self._watch.stop()

    def _defers_flush_now(self) -> bool:
        """A live, non-dry run inside a transaction: a revision's commit may defer its flush."""
        return self._dry_run is None and not self.as_sql and self.connection.in_transaction()

    def _rollback_run(self) -> None:
        """After a failed step, roll back the run's own transaction now, so the error can
        say truthfully what state the database is in."""
        if not self.as_sql and self._transaction is not None:
            self._finish_transaction(commit=False)

    @contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """Run the block outside any transaction (e.g. PostgreSQL's ALTER TYPE ... ADD VALUE).

        The transaction so far is committed first; a new one begins after the block.
        Offline on transactional DDL this writes COMMIT before and BEGIN after the block.
        """
        if self.as_sql:
            if self.impl.transactional_ddl:
                self._emit(getattr(self.impl, "commit_statement", None))
            yield
            if self.impl.transactional_ddl:
                self._emit(getattr(self.impl, "begin_statement", None))
            return
        if self._dry_run is not None:
            self._dry_run.refuse_commit("autocommit_block()")
        connection = self.connection
        reopen = False
        if connection.in_transaction():
            if self._transaction is not None:
                self._finish_transaction(commit=True)
                reopen = True
            elif self._in_external_transaction:
                raise DistillError(
                    "autocommit_block() would have to commit the transaction the connection "
                    "passed to context.configure() was already in; pass a connection that is "
                    "not inside a transaction (engine.connect(), not engine.begin())"
                )
            else:
                with self._ours():
                    connection.commit()
            self._committed_in_step = True
            self._tell_committed()
        resume = self._ddl_transactions.suspend()
        level = connection.get_isolation_level()
        connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            with self._ours(), connection.begin():
                yield
        finally:
            connection.execution_options(isolation_level=level)
            resume()
            if reopen:
                self._transaction = connection.begin()
        # settings local to a transaction (the DDL lock timeout) are set again
        notify(self.request.observers, "transaction_reopened", connection)

    # -- SQL ------------------------------------------------------------------------------

    def execute(
        self, sql: Executable | str, execution_options: Mapping[str, Any] | None = None
    ) -> None:
        """Run `sql` on the connection, or write it to the script offline."""
        self._sink.execute(sql, execution_options=execution_options)

    def static_output(self, text: str) -> None:
        """Write `text` and a blank line to the output (the --sql script)."""
        self._output.write(text + "\n\n")

    # -- failures -------------------------------------------------------------------------

    def _failure(self, step: Step, error: Exception, rolled_back: bool) -> RevisionFailure:
        """Which revision, which statement, and the state left, read back (failures.py)."""
        from distill.runtime import failures
        from distill.runtime.resume import ResumeRefused

        rev = step.revision or ", ".join(step.adds) or "base"
        if self.as_sql:
            state = failures.OFFLINE_STATE
        elif self._in_external_transaction:
            state = failures.EXTERNAL_STATE
        else:
            watch = self._watch
            seen = failures.StepWitness(
                rolled_back=rolled_back,
                committed_itself=watch is not None
                and watch.foreign_commits > self._step_watch_marks[0],
                autocommit_committed=self._committed_in_step,
                run_unchanged=watch is not None and watch.commits == self._commits_at_run_start,
            )
            read = failures.read_back_heads(self.connection, self._version, self._ours)
            state = failures.state_after_failure(
                rev,
                seen,
                read,
                transactional_ddl=self.impl.transactional_ddl,
                database=self.impl.name,
                resumable=self.operation_gate is not None and not self._in_external_transaction,
                refused=isinstance(error, ResumeRefused),
            )
        hint = self.impl.failure_hint(error, per_migration=self._transaction_per_migration)
        path = self._path(step.revision) if step.kind != "stamp" else None
        return failures.failure(step, path, error, state, hint)
