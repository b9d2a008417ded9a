"""How every command runs the project's env.py, and the locks and log a run takes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from distill.errors import DistillError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from distill.config import Config
    from distill.runtime.deploy_lock import Locking
    from distill.runtime.observers import RevisionObserver
    from distill.runtime.request import InspectFn, RunRequest
    from distill.scripts.directory import ScriptDirectory


def alembic_names() -> AbstractContextManager[None]:
    """`import alembic` served by distill for the block (compat is imported on first use)."""
    from distill import compat

    return compat.alembic_names()


def script_directory(config: Config) -> ScriptDirectory:
    """The project's migration folder, as the config names it (distill.testing, squash and
    fleet use it too)."""
    from distill.scripts.directory import ScriptDirectory

    return ScriptDirectory.from_config(config)


def run_env_for(config: Config, script: ScriptDirectory, request: RunRequest) -> None:
    """Run the project's env.py for `request`, alembic names served by distill.

    The one way distill runs env.py.
    """
    from distill.runtime.environment import EnvironmentContext

    request = with_tenant_schema(config, request)
    with alembic_names(), EnvironmentContext(config, script, request=request):
        script.run_env()


def with_tenant_schema(config: Config, request: RunRequest) -> RunRequest:
    """The request run in the config's `tenant_schema` (a fleet's schema target), if set."""
    from dataclasses import replace

    schema = config.get_main_option("tenant_schema")
    return replace(request, tenant_schema=schema) if schema else request


def run_env(config: Config, request: RunRequest, script: ScriptDirectory | None = None) -> None:
    """Run the project's env.py for a prepared RunRequest (distill.testing uses it)."""
    run_env_for(config, script if script is not None else script_directory(config), request)


def inspect_database(config: Config, script: ScriptDirectory, callback: InspectFn) -> None:
    """Run env.py only to hand the database's revisions to `callback`; change nothing."""
    from distill.runtime.request import Inspect, RunRequest

    run_env_for(config, script, RunRequest(Inspect(callback), create_version_table=False))


def locking_for(
    config: Config,
    sql: bool,
    lock_timeout: float | None,
    ddl_lock_timeout: float | None = None,
    retries: int | None = None,
) -> Locking | None:
    """The locks an online run takes (runtime/deploy_lock.py); none for --sql."""
    from distill.runtime.deploy_lock import Locking

    if sql:
        return None
    return Locking.of(
        config, lock_timeout=lock_timeout, ddl_lock_timeout=ddl_lock_timeout, retries=retries
    )


def ledger_observers(
    config: Config, allow_edited: bool, refuse_edited: bool = True
) -> tuple[RevisionObserver, ...]:
    """The observer keeping the applied-revision log, unless the config says `ledger = false`."""
    from distill.runtime.ledger_observer import LedgerObserver

    setting = str(config.get_alembic_option("ledger") or "true").strip().lower()
    if setting not in ("true", "false"):
        raise DistillError(f"ledger = {setting!r} in the config: write true or false")
    if setting == "false":
        return ()
    return (LedgerObserver(allow_edited=allow_edited, refuse_edited=refuse_edited),)


def is_terminal(config: Config) -> bool:
    """Whether the config's stdout is a terminal (colour on)."""
    isatty = getattr(config.stdout, "isatty", None)
    return bool(isatty and isatty())
