"""A failed revision in one line: which revision, its file, the cause, the failing
statement, and the state the database is left in, read back from the database.

The runtime attaches the result to the exception the revision raised
(`errors.attach_failure`) and lets that exception through: Python callers catch the
type they expect, the CLI prints the one line.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from distill.errors import DistillError, MigrationError, RevisionFailure

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from distill.graph import Step
    from distill.runtime.version_table import VersionTable

STATEMENT_LIMIT = 300  # characters of a failing statement quoted in an error


@dataclass(frozen=True)
class StepWitness:
    """What the runtime saw the connection do while the failed step ran."""

    rolled_back: bool
    """The transaction holding the step was rolled back (it was the runtime's own)."""
    committed_itself: bool
    """Revision code committed the connection itself (connection.commit())."""
    autocommit_committed: bool
    """An autocommit block of the step committed what ran before it."""
    run_unchanged: bool
    """No COMMIT at all since the run began."""


def one_line(text: str) -> str:
    """Whitespace collapsed to single spaces."""
    return " ".join(text.split())


def driver_error(error: BaseException) -> BaseException | None:
    """The DBAPI exception behind a SQLAlchemy error, if any."""
    import sqlalchemy as sa

    if isinstance(error, sa.exc.DBAPIError):
        return error.orig
    return None


def failing_statement(error: BaseException) -> str | None:
    """The SQL statement `error` came from, on one line and truncated; None if not SQL."""
    import sqlalchemy as sa

    if not (isinstance(error, sa.exc.StatementError) and error.statement):
        return None
    statement = one_line(error.statement)
    if len(statement) > STATEMENT_LIMIT:
        statement = statement[: STATEMENT_LIMIT - 3] + "..."
    return statement


def describe_error(error: BaseException) -> tuple[str, str | None]:
    """(one-line cause, truncated statement or None) for an exception from a revision."""
    import sqlalchemy as sa

    if isinstance(error, (DistillError, MigrationError)):
        # distill's own line (a database refusal included: it names its statement)
        return str(error), None
    orig = driver_error(error)
    if orig is not None:
        lines = str(orig).strip().splitlines()
        cause = f"{type(orig).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    else:
        lines = (
            str(error.orig if isinstance(error, sa.exc.StatementError) else error)
            .strip()
            .splitlines()
        )
        cause = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return cause, failing_statement(error)


def where_failed(step: Step, path: str) -> str:
    """`upgrade of revision bbb222 (path)` or `stamp to aaa111`."""
    if step.kind == "stamp":
        return f"stamp to {', '.join(step.adds) or 'base'}"
    rev = step.revision or ", ".join(step.adds) or "base"
    return f"{step.kind} of revision {rev} ({path})"


def failure(
    step: Step, path: str | None, error: BaseException, state: str, hint: str | None
) -> RevisionFailure:
    """The RevisionFailure for `error` raised by `step`, with the state it left."""
    cause, statement = describe_error(error)
    text = f"{where_failed(step, path or '<unknown file>')} failed: {cause}"
    if statement:
        text += f"; failing statement: {statement}"
    text += f". Database state: {state}"
    if hint:
        text += f". {hint}"
    return RevisionFailure(text, step.revision, path, statement)


def state_after_failure(
    rev: str,
    seen: StepWitness,
    read_back: str,
    *,
    transactional_ddl: bool,
    database: str,
    resumable: bool = False,
    refused: bool = False,
) -> str:
    """What the database holds after the failed step, online: what was seen, what was read."""
    if refused:  # runtime/resume.py stopped before the revision ran anything
        return f"nothing of {rev} ran again; {read_back}"
    if seen.rolled_back and transactional_ddl:
        notes = []
        if seen.committed_itself:
            notes.append(
                f"{rev} committed part of its work itself (connection.commit()); "
                "what it ran before that commit stays"
            )
        if seen.autocommit_committed:
            notes.append(f"the part of {rev} that ran in an autocommit block was committed")
        state = "rolled back: database unchanged" if seen.run_unchanged else "rolled back"
        return "; ".join([state, *notes, read_back])
    if resumable:  # the applied-revision log recorded each completed operation
        return (
            f"statements of {rev} before the failing one were applied and are not rolled "
            f"back ({database} cannot roll back DDL); {read_back}. Fix the failing operation "
            "if needed and run the command again: it resumes at the failing operation"
        )
    return (
        f"statements of {rev} before the failing one were applied and are not rolled back "
        f"({database} cannot roll back DDL); {read_back}. Undo or complete them by hand, "
        "then run the command again"
    )


OFFLINE_STATE = "nothing ran (offline --sql); the script written so far is incomplete"
EXTERNAL_STATE = (
    "nothing committed: the run happened inside the transaction the caller passed "
    "in, which must be rolled back to leave the database unchanged"
)


def read_back_heads(
    connection: Connection,
    version: VersionTable,
    ours: Callable[[], AbstractContextManager[None]],
) -> str:
    """`version table (read back): ...`, read from the database after the failure.

    `ours` marks the rollback of the read's own transaction as the runtime's.
    """
    began = not connection.in_transaction()
    try:
        heads = version.read(connection) if version.exists(connection) else ()
    except Exception as error:  # the connection itself may be broken: say so
        return f"the version table could not be read back ({describe_error(error)[0]})"
    finally:
        if began and connection.in_transaction():
            with ours():
                connection.rollback()
    return f"version table (read back): {', '.join(heads) or '<base>'}"
