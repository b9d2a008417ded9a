"""The deploy lock: one distill process migrates a database at a time; the others wait
for it, then read the version table and find the work done.

MigrationContext.run_migrations() calls `take_deploy_lock()` before it reads the version
table, when the run request asks for a lock (`RunRequest.locking`: upgrade, downgrade
and stamp online; never `--sql`). The lock itself is the dialect's
(`RunHooks.deploy_lock`, dialects/deploy_lock.py); this module waits for it with backoff
up to the lock timeout, and then holds it until env.py's run ends, after env.py's own
transaction has committed, so a waiting process reads what the holder wrote. Locks are
counted per database and version table in this process: a second run_migrations() on
the same database (or a multidb env.py naming it twice) does not wait for itself.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from distill.errors import ConfigError, DistillError
from distill.runtime.report import get_reporter, notice

if TYPE_CHECKING:
    from distill.config import Config
    from distill.dialects.deploy_lock import DeployLock
    from distill.runtime.migrator import MigrationContext

DEFAULT_LOCK_TIMEOUT = 300.0
FIRST_DELAY = 0.05  # seconds before the second try; doubled up to MAX_DELAY
MAX_DELAY = 1.0


class DeployLockTimeout(DistillError):
    """Another process held the deploy lock for longer than the lock timeout."""


@dataclass(frozen=True)
class Locking:
    """What a command asks about locks: the deploy lock's wait, and PostgreSQL's DDL lock
    timeout with its retries (runtime/ddl_retry.py)."""

    lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT
    """Seconds to wait for the deploy lock; None takes no deploy lock."""
    ddl_lock_timeout: float | None = None
    """Seconds a DDL statement may wait for a table lock (SET LOCAL lock_timeout)."""
    retries: int = 0
    """How often a revision whose statement gave up waiting for a lock runs again."""

    @classmethod
    def of(
        cls,
        config: Config,
        *,
        lock_timeout: float | None = None,
        ddl_lock_timeout: float | None = None,
        retries: int | None = None,
    ) -> Locking:
        """The given values, else the config's `lock_timeout`, `ddl_lock_timeout` and
        `ddl_retries`, else the defaults (300 s, none, 0); no deploy lock at all when the
        config says `deploy_lock = false` (`--no-lock`)."""
        wait = _number(config, "lock_timeout", lock_timeout)
        ddl = _number(config, "ddl_lock_timeout", ddl_lock_timeout)
        again = _number(config, "ddl_retries", retries, whole=True)
        if ddl is not None and ddl <= 0:
            raise ConfigError("ddl_lock_timeout must be more than 0 seconds")
        if not _deploy_lock_wanted(config):
            return cls(lock_timeout=None, ddl_lock_timeout=ddl, retries=int(again or 0))
        return cls(
            lock_timeout=DEFAULT_LOCK_TIMEOUT if wait is None else wait,
            ddl_lock_timeout=ddl,
            retries=int(again or 0),
        )


def _deploy_lock_wanted(config: Config) -> bool:
    """The config's `deploy_lock` (true unless it says false)."""
    value = config.get_alembic_option("deploy_lock")
    text = str(value).strip().lower() if value is not None else "true"
    if text not in ("true", "false", ""):
        raise ConfigError(f"deploy_lock = {value!r} in the config: write true or false")
    return text != "false"


def _number(config: Config, key: str, given: float | None, whole: bool = False) -> float | None:
    """`given`, else the config key's value as a number of at least 0, else None."""
    if given is not None:
        value: object = given
    else:
        value = config.get_alembic_option(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = -1.0
    if number < 0 or (whole and not number.is_integer()):
        kind = "a whole number" if whole else "a number of seconds"
        raise ConfigError(f"{key} = {value!r}: write {kind}, 0 or more")
    return number


@dataclass
class _Held:
    lock: DeployLock
    users: int = 1


_held: dict[str, _Held] = {}


def take_deploy_lock(context: MigrationContext, timeout: float) -> Callable[[], None]:
    """Wait for the deploy lock of the database `context` is connected to; the call that
    releases it (once every run of this process that took it has released it; calling it
    again does nothing)."""
    from distill.dialects import impl_class_for

    schema = context.version_table_schema
    name = f"{schema}.{context.version_table}" if schema else context.version_table
    lock = impl_class_for(context.dialect).deploy_lock(context.connection, name)
    held = _held.get(lock.identity)
    if held is not None:
        held.users += 1
    else:
        _wait(lock, timeout)
        _held[lock.identity] = _Held(lock)

    released = False

    def release() -> None:
        nonlocal released
        found = _held.get(lock.identity)
        if released or found is None:
            return
        released = True
        found.users -= 1
        if found.users == 0:
            del _held[lock.identity]
            found.lock.release()

    return release


def _wait(lock: DeployLock, timeout: float) -> None:
    """Poll `lock` with backoff until it is taken or `timeout` seconds have passed."""
    if not lock.available:
        get_reporter().info(
            f"No deploy lock on {lock.where}: concurrent distill runs are not kept apart"
        )
    started = time.monotonic()
    delay = FIRST_DELAY
    waited = False
    try:
        while not lock.try_acquire():
            elapsed = time.monotonic() - started
            if elapsed >= timeout:
                raise DeployLockTimeout(
                    f"Gave up waiting for the deploy lock on {lock.where} after {timeout:g} s: "
                    f"held by {_holder(lock)}. Another distill run is migrating this "
                    "database: let it finish, or wait longer with --lock-timeout SECONDS "
                    "(config key lock_timeout)"
                )
            if not waited:
                notice(f"Waiting for the deploy lock on {lock.where}, held by {_holder(lock)}")
                waited = True
            time.sleep(min(delay * random.uniform(0.5, 1.0), timeout - elapsed))
            delay = min(delay * 2, MAX_DELAY)
    except BaseException:
        lock.release()
        raise
    if waited:
        notice(f"Got the deploy lock after {time.monotonic() - started:.1f} s")


def _holder(lock: DeployLock) -> str:
    """Who holds the lock, or why that is not known."""
    try:
        found = lock.holder()
    except Exception as error:  # a database that hides its sessions: say so, keep waiting
        return f"another process (who, the database did not say: {type(error).__name__})"
    return found or "another process (who, the database does not say)"


def nothing_left(action: object) -> None:
    """Say that the database is already where an upgrade or downgrade wanted it."""
    from distill.runtime.request import Migrate

    if isinstance(action, Migrate):
        notice(f"Already at {action.target}: nothing to {action.direction}")
