"""What the runtime asks a dialect about the live connection a run uses.

DialectImpl inherits these hooks and a dialect overrides what differs: SQLite makes its
driver BEGIN for real, PostgreSQL explains lock-table exhaustion. `ddl_transactions` is
a classmethod because the runtime needs its answer before it builds the impl (whether
DDL can be transactional at all decides the impl's `transactional_ddl`):
`impl_class_for(connection.dialect).ddl_transactions(connection)`.

The deploy lock (`deploy_lock`, dialects/deploy_lock.py) is a classmethod taking the
connection, asked by the runtime before it reads the version table and released when
env.py's run ends. `set_ddl_lock_timeout` and `lock_contention` serve the DDL lock
timeout and its retries (runtime/ddl_retry.py).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from distill.dialects.deploy_lock import DeployLock, database_label
from distill.dialects.raw_objects import RawObject, view_objects
from distill.errors import DistillError


class DDLTransactions:
    """How DDL on one connection is made transactional while a run uses it.

    The runtime enters it before it reads the version table and before each transaction
    it opens, exits afterwards, and suspends it around an autocommit block. Entering is
    re-entrant: the outermost enter / exit pair does the work. This default has nothing
    to take over: the driver's transactions already hold DDL (or never can).
    """

    def __init__(self, *, available: bool = True) -> None:
        # False: the driver commits every statement at once (autocommit), so DDL on this
        # connection cannot be rolled back whatever the runtime does
        self.available = available

    def enter(self) -> None:
        """Make DDL transactional from here on (re-entrant)."""

    def exit(self) -> None:
        """Undo what the matching enter() did, once the outermost user is done."""

    def suspend(self) -> Callable[[], None]:
        """Hand control back to the driver for a while; returns the call that resumes."""
        return lambda: None


class RunHooks:
    """The hooks of DialectImpl that the runtime calls about its connection and its run."""

    @classmethod
    def view_statement(cls, name: str, definition: str) -> str:
        """The CREATE VIEW that rebuilds a view from what reflection returns as its definition."""
        return f"CREATE VIEW {name} AS {definition.strip().rstrip(';')}"

    @classmethod
    def raw_objects(cls, connection: sa.Connection) -> list[RawObject]:
        """The objects of the default schema that only raw SQL makes (raw_objects.py); this
        default knows views, a dialect with triggers, functions or sequences adds them."""
        return view_objects(connection, cls.view_statement)

    @classmethod
    def url_for_schema(cls, url: sa.URL, schema: str) -> sa.URL:
        """`url` made to open its sessions in `schema` (one tenant's schema of a fleet)."""
        raise DistillError(
            f"{url.get_backend_name()} has no schemas to run a tenant in ('#{schema}' in "
            f"the target URL); give each tenant its own database instead"
        )

    @classmethod
    def ddl_transactions(cls, connection: sa.Connection) -> DDLTransactions:
        """How DDL on `connection` can be made transactional (the runtime enters it)."""
        return DDLTransactions()

    def failure_hint(self, error: BaseException, *, per_migration: bool) -> str | None:
        """What to do about `error`, which failed a revision, beyond what the error says.

        `per_migration`: each revision ran in its own transaction
        (transaction_per_migration=True) rather than the whole run in one.
        """
        return None

    @classmethod
    def deploy_lock(cls, connection: sa.Connection, name: str) -> DeployLock:
        """The lock that keeps other distill processes off the database `connection` is on
        while a run migrates it; `name` is the version table, schema-qualified. This
        default is no lock at all."""
        where = database_label(connection)
        return DeployLock(f"{where} {name}", where)

    def defer_commit_flush(self, connection: sa.Connection) -> None:
        """Let the next COMMIT on `connection` return before it is on disk.

        The runtime asks before committing a revision that more revisions of the run
        follow: the revision stays all-or-nothing, and the run's last commit (a durable
        one) makes every earlier one durable with it. This default commits durably.
        """

    def set_ddl_lock_timeout(self, connection: sa.Connection, seconds: float) -> bool:
        """Make the statements of the transaction now open on `connection` give up waiting
        for a lock after `seconds`; False when this database has no such setting."""
        return False

    def lock_contention(self, connection: sa.Connection, error: BaseException) -> str | None:
        """When `error` is a statement that gave up waiting for a lock: which table it
        waited for and who holds it (None for any other error)."""
        return None
