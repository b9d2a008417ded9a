"""Commands that change the database: upgrade, downgrade, stamp, restore, ensure_version."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from distill.cli.app import invoke, relative_subcommand, subcommand

if TYPE_CHECKING:
    from distill.config import Config

_LOCK_TIMEOUT = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Wait at most this long for another distill run on the database (default 300).",
)
_NO_LOCK = click.option(
    "--no-lock",
    is_flag=True,
    help="Take no deploy lock (advisory locks fail behind PgBouncer's transaction pooling).",
)


def _unlocked(config: Config, no_lock: bool) -> Config:
    """The config, with `deploy_lock = false` for this run under --no-lock."""
    if no_lock:
        config.set_main_option("deploy_lock", "false")
    return config


# The options upgrade and downgrade share, in the order --help lists them.
_MIGRATE_OPTIONS = (
    click.option("--sql", is_flag=True, help="Print the SQL instead of running it."),
    click.option(
        "--tag", default=None, help="A value env.py reads with context.get_tag_argument()."
    ),
    click.option("--no-backup", is_flag=True, help="Skip the copy of the database taken first."),
    click.option(
        "--allow-edited",
        is_flag=True,
        help="Run although applied revisions were edited or deleted (recorded in distill_log).",
    ),
    click.option(
        "--dry-run",
        is_flag=True,
        help="Run against the database in a transaction that is rolled back; print each statement.",
    ),
    _LOCK_TIMEOUT,
    _NO_LOCK,
    click.option(
        "--ddl-lock-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        metavar="SECONDS",
        help="Give up a DDL statement that waits this long for a table lock (PostgreSQL).",
    ),
    click.option(
        "--retries",
        type=click.IntRange(min=0),
        default=None,
        metavar="N",
        help="Run a revision again (in a new transaction) after a DDL lock timeout.",
    ),
)


def _migrate_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The revision argument and the options of upgrade and downgrade."""
    for option in reversed(_MIGRATE_OPTIONS):
        function = option(function)
    return click.argument("revision")(function)


def _migrate(ctx: click.Context, direction: str, revision: str, given: dict[str, Any]) -> None:
    """Run command.upgrade or command.downgrade with the parsed options."""
    from distill import command

    run = command.upgrade if direction == "upgrade" else command.downgrade
    sql, tag, backup = given.pop("sql"), given.pop("tag"), not given.pop("no_backup")
    no_lock = given.pop("no_lock")
    invoke(
        ctx, lambda cfg: run(_unlocked(cfg, no_lock), revision, sql, tag, backup=backup, **given)
    )


@relative_subcommand("upgrade")
@_migrate_options
@click.pass_context
def upgrade_cmd(ctx: click.Context, /, revision: str, **given: Any) -> None:
    """Upgrade to a later revision (head, +N, <id>, label@head, ...)."""
    _migrate(ctx, "upgrade", revision, given)


@relative_subcommand("downgrade")
@_migrate_options
@click.pass_context
def downgrade_cmd(ctx: click.Context, /, revision: str, **given: Any) -> None:
    """Revert to an earlier revision (-N, <id>, base, ...)."""
    _migrate(ctx, "downgrade", revision, given)


@subcommand("restore")
@click.argument("path", required=False)
@click.pass_context
def restore_cmd(ctx: click.Context, path: str | None) -> None:
    """Put the latest (or the named) backup of the SQLite database back."""
    from distill import command

    invoke(ctx, lambda cfg: command.restore(cfg, path))


@relative_subcommand("stamp")
@click.argument("revisions", nargs=-1, required=True)
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
@click.option("--tag", default=None, help="A value env.py reads with context.get_tag_argument().")
@click.option("--purge", is_flag=True, help="Empty the version table first.")
@_LOCK_TIMEOUT
@_NO_LOCK
@click.pass_context
def stamp_cmd(
    ctx: click.Context,
    revisions: tuple[str, ...],
    sql: bool,
    tag: str | None,
    purge: bool,
    lock_timeout: float | None,
    no_lock: bool,
) -> None:
    """Set the version table without running migrations."""
    from distill import command

    def run(cfg: Config) -> None:
        targets = list(revisions)
        command.stamp(_unlocked(cfg, no_lock), targets, sql, tag, purge, lock_timeout=lock_timeout)

    invoke(ctx, run)


@subcommand("ensure_version")
@click.option("--sql", is_flag=True, help="Print the CREATE TABLE instead of running it.")
@click.pass_context
def ensure_version_cmd(ctx: click.Context, sql: bool) -> None:
    """Create the version table if it is missing."""
    from distill import command

    invoke(ctx, lambda cfg: command.ensure_version(cfg, sql))
