"""`distill fleet`: upgrade, downgrade, current and check on many targets."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from distill.cli.app import CONTEXT_SETTINGS, Options, invoke, main

if TYPE_CHECKING:
    from distill.config import Config


@main.group(name="fleet", context_settings=CONTEXT_SETTINGS)
def fleet_group() -> None:
    """Run upgrade, downgrade, current, check or verify on many tenant databases or schemas."""


def _fleet_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options every fleet command takes."""
    options = [
        click.option("--targets", "targets_file", metavar="FILE", help="One '[name] url' a line."),
        click.option("--schemas", metavar="PATTERN", help="Every matching PostgreSQL schema."),
        click.option("--jobs", type=int, default=None, help="Targets at once (default: cores)."),
        click.option("--canary", type=int, default=0, help="Run the first K targets first."),
        click.option("--keep-going", is_flag=True, help="Go on after a target fails."),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["text", "json"]),
            default="text",
            help="json: one document with every target.",
        ),
        click.option("--no-backup", is_flag=True, help="Skip the copy of SQLite files."),
        click.option("--timeout", type=float, default=None, help="Kill a target after SECONDS."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _fleet(ctx: click.Context, action: str, revision: str | None, **given: Any) -> None:
    """Run one fleet command, print its summary, exit 1 unless every target succeeded."""
    from distill import fleet

    options: Options = ctx.obj
    outcome: list[bool] = []

    def run(cfg: Config) -> None:
        targets = fleet.resolve_targets(cfg, given["targets_file"], given["schemas"])
        settings = fleet.FleetOptions(
            tuple(options.config_files),
            options.name,
            tuple(options.x),
            given["jobs"],
            given["canary"],
            given["keep_going"],
            not given["no_backup"],
            given["timeout"],
        )
        progress = _FleetProgress(action, quiet=options.quiet)
        report = fleet.run_fleet(cfg, action, revision, targets, settings, progress)  # type: ignore[arg-type]
        progress.close()
        render = fleet.render_json if given["fmt"] == "json" else fleet.render_text
        click.echo(render(report, targets))
        outcome.append(report.succeeded)

    invoke(ctx, run)
    if not all(outcome):
        sys.exit(1)


class _FleetProgress:
    """The progress line: rewritten in place on a terminal, one line per target otherwise."""

    def __init__(self, action: str, quiet: bool) -> None:
        self.action = action
        self.quiet = quiet
        self.terminal = sys.stderr.isatty()

    def __call__(self, result: Any, done: int, failed: int, remaining: int) -> None:
        if self.quiet:
            return
        counts = f"{done - failed} done, {failed} failed, {remaining} remaining"
        if self.terminal:
            click.echo(f"\rfleet {self.action}: {counts}\033[K", err=True, nl=False)
        else:
            click.echo(
                f"fleet {self.action}: {result.target.name} {result.outcome}; {counts}", err=True
            )

    def close(self) -> None:
        """End the rewritten line."""
        if self.terminal and not self.quiet:
            click.echo("", err=True)


@fleet_group.command(
    "upgrade", context_settings={**CONTEXT_SETTINGS, "ignore_unknown_options": True}
)
@click.argument("revision")
@_fleet_options
@click.pass_context
def fleet_upgrade_cmd(ctx: click.Context, /, revision: str, **given: Any) -> None:
    """Upgrade every target to a later revision."""
    _fleet(ctx, "upgrade", revision, **given)


@fleet_group.command(
    "downgrade", context_settings={**CONTEXT_SETTINGS, "ignore_unknown_options": True}
)
@click.argument("revision")
@_fleet_options
@click.pass_context
def fleet_downgrade_cmd(ctx: click.Context, /, revision: str, **given: Any) -> None:
    """Downgrade every target to an earlier revision."""
    _fleet(ctx, "downgrade", revision, **given)


@fleet_group.command("current", context_settings=CONTEXT_SETTINGS)
@_fleet_options
@click.pass_context
def fleet_current_cmd(ctx: click.Context, /, **given: Any) -> None:
    """Show each target's revision, how many are at each, which are behind or unknown."""
    _fleet(ctx, "current", None, **given)


@fleet_group.command("check", context_settings=CONTEXT_SETTINGS)
@_fleet_options
@click.pass_context
def fleet_check_cmd(ctx: click.Context, /, **given: Any) -> None:
    """Compare the models with every target's database; exit 1 if any differs."""
    _fleet(ctx, "check", None, **given)


@fleet_group.command("verify", context_settings=CONTEXT_SETTINGS)
@_fleet_options
@click.pass_context
def fleet_verify_cmd(ctx: click.Context, /, **given: Any) -> None:
    """Verify every target: exit 1 if any applied revision file was edited or deleted."""
    _fleet(ctx, "verify", None, **given)
