"""Commands that show the history and the database's place in it."""

from __future__ import annotations

import click

from distill.cli.app import invoke, subcommand


@subcommand("current")
@click.option("-c", "--check-heads", is_flag=True, help="Fail unless the database is at the heads.")
@click.option("-v", "--verbose", is_flag=True, help="Show each revision in full.")
@click.pass_context
def current_cmd(ctx: click.Context, check_heads: bool, verbose: bool) -> None:
    """Show the database's current revision(s)."""
    from distill import command

    invoke(ctx, lambda cfg: command.current(cfg, check_heads, verbose))


@subcommand("heads")
@click.option("-v", "--verbose", is_flag=True, help="Show each revision in full.")
@click.option("--resolve-dependencies", is_flag=True, help="Count depends_on links as parents.")
@click.pass_context
def heads_cmd(ctx: click.Context, verbose: bool, resolve_dependencies: bool) -> None:
    """Show the head revisions."""
    from distill import command

    invoke(ctx, lambda cfg: command.heads(cfg, verbose, resolve_dependencies), runs_env=False)


@subcommand("branches")
@click.option("-v", "--verbose", is_flag=True, help="Show each revision in full.")
@click.pass_context
def branches_cmd(ctx: click.Context, verbose: bool) -> None:
    """Show the branch points."""
    from distill import command

    invoke(ctx, lambda cfg: command.branches(cfg, verbose), runs_env=False)


@subcommand("history")
@click.option("-r", "--rev-range", default=None, help="START:END, either side optional.")
@click.option("-v", "--verbose", is_flag=True, help="Show each revision in full.")
@click.option(
    "-i", "--indicate-current", is_flag=True, help="Mark the revisions the database is at."
)
@click.option(
    "-a",
    "--applied",
    is_flag=True,
    help="Mark applied revisions with when and by whom (distill_log); flag edited files.",
)
@click.pass_context
def history_cmd(
    ctx: click.Context, rev_range: str | None, verbose: bool, indicate_current: bool, applied: bool
) -> None:
    """List revisions, newest first."""
    from distill import command

    reads_database = applied or indicate_current or "current" in (rev_range or "")
    invoke(
        ctx,
        lambda cfg: command.history(cfg, rev_range, verbose, indicate_current, applied=applied),
        runs_env=reads_database,
    )


@subcommand("show")
@click.argument("rev")
@click.pass_context
def show_cmd(ctx: click.Context, rev: str) -> None:
    """Show one revision in full."""
    from distill import command

    invoke(ctx, lambda cfg: command.show(cfg, rev), runs_env=rev == "current")
