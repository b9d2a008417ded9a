"""Commands that write the project's files: init, revision, merge, edit, squash, demo."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from distill.cli.app import guard, ignore, invoke, subcommand

if TYPE_CHECKING:
    from distill.config import Config


@subcommand("init")
@click.argument("directory")
@click.option(
    "-t",
    "--template",
    default="generic",
    show_default=True,
    help="Project template (see list_templates).",
)
@click.option("--package", is_flag=True, help="Write __init__.py files too.")
@click.pass_context
def init_cmd(ctx: click.Context, directory: str, template: str, package: bool) -> None:
    """Create a new migration folder and config file."""
    from distill import command

    invoke(ctx, lambda cfg: command.init(cfg, directory, template, package), must_exist=False)


@subcommand("list_templates")
@click.pass_context
def list_templates_cmd(ctx: click.Context) -> None:
    """List the available project templates."""
    from distill import command

    invoke(ctx, command.list_templates, must_exist=False)


@subcommand("revision")
@click.option("-m", "--message", default=None, help="What the revision does (also its file name).")
@click.option(
    "--autogenerate", is_flag=True, help="Fill it with the differences between models and database."
)
@click.option(
    "--sql", is_flag=True, help="Run env.py offline while writing (revision_environment)."
)
@click.option("--head", default="head", show_default=True, help="The revision the new one follows.")
@click.option("--splice", is_flag=True, help="Allow --head to name a revision that is not a head.")
@click.option("--branch-label", default=None, help="Start a named branch with this revision.")
@click.option("--version-path", default=None, help="Folder to write the file in.")
@click.option("--rev-id", default=None, help="Use this revision id instead of a random one.")
@click.option("--depends-on", multiple=True, help="A revision this one needs (repeatable).")
@click.option(
    "--rename",
    "renames",
    multiple=True,
    metavar="OLD=NEW",
    help="With --autogenerate: a rename to keep the data (table=new_table, "
    "table.column=table.new_column); repeatable.",
)
@click.pass_context
def revision_cmd(
    ctx: click.Context,
    message: str | None,
    autogenerate: bool,
    sql: bool,
    head: str,
    splice: bool,
    branch_label: str | None,
    version_path: str | None,
    rev_id: str | None,
    depends_on: tuple[str, ...],
    renames: tuple[str, ...],
) -> None:
    """Create a new revision file."""
    from distill import command

    if renames and not autogenerate:
        raise click.UsageError("--rename only applies with --autogenerate")
    invoke(
        ctx,
        lambda cfg: ignore(
            command.revision(
                cfg,
                message,
                autogenerate,
                sql,
                head,
                splice,
                branch_label,
                version_path,
                rev_id,
                list(depends_on) or None,
                renames=list(renames),
                ask_rename=_rename_prompt() if autogenerate else None,
            )
        ),
    )


def _rename_prompt() -> Callable[[str], bool] | None:
    """On a terminal, a function asking the user a rename question; otherwise None."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None

    def ask(question: str) -> bool:
        answer = click.prompt(question, default="", show_default=False, prompt_suffix=" ")
        return str(answer).strip().lower() in ("y", "yes")

    return ask


@subcommand("merge")
@click.argument("revisions", nargs=-1, required=True)
@click.option("-m", "--message", default=None, help="What the merge is for.")
@click.option("--branch-label", default=None, help="A branch label for the merge revision.")
@click.option("--rev-id", default=None, help="Use this revision id instead of a random one.")
@click.option("--splice", is_flag=True, help="Allow merging revisions that are not heads.")
@click.pass_context
def merge_cmd(
    ctx: click.Context,
    revisions: tuple[str, ...],
    message: str | None,
    branch_label: str | None,
    rev_id: str | None,
    splice: bool,
) -> None:
    """Merge two or more heads into one revision."""
    from distill import command

    invoke(
        ctx,
        lambda cfg: ignore(
            command.merge(cfg, list(revisions), message, branch_label, rev_id, splice)
        ),
    )


@subcommand("edit")
@click.argument("rev")
@click.pass_context
def edit_cmd(ctx: click.Context, rev: str) -> None:
    """Open a revision file in $EDITOR."""
    from distill import command

    invoke(ctx, lambda cfg: command.edit(cfg, rev), runs_env=rev == "current")


@subcommand("demo")
@click.option("--url", default=None, help="Database URL (default: a new SQLite file).")
@click.option("--keep", is_flag=True, help="Keep the demo folder and print where it is.")
@click.pass_context
def demo_cmd(ctx: click.Context, url: str | None, keep: bool) -> None:
    """Walk through the whole workflow in a temporary folder."""
    from distill.demo import run_demo

    guard(ctx.obj, lambda: run_demo(url=url, keep=keep, quiet=ctx.obj.quiet))


@subcommand("squash")
@click.argument("revision", required=False)
@click.option("-m", "--message", default=None, help="The baseline's message.")
@click.option("--url", default=None, help="An empty scratch database (default: a temporary file).")
@click.option("--rev-id", default=None, help="The baseline's own id.")
@click.option(
    "--finalize", is_flag=True, help="Make the baseline the revision; delete the old files."
)
@click.pass_context
def squash_cmd(
    ctx: click.Context,
    revision: str | None,
    message: str | None,
    url: str | None,
    rev_id: str | None,
    finalize: bool,
) -> None:
    """Write one baseline that builds base..REVISION for empty databases."""

    def run(cfg: Config) -> None:
        from distill import squash

        if finalize:
            if revision is not None:
                raise click.UsageError("--finalize takes no revision")
            final, deleted = squash.finalize(cfg)
            click.echo(f"Wrote {final}; deleted {len(deleted)} replaced revision file(s)")
            return
        if revision is None:
            raise click.UsageError("give the revision to squash up to, e.g. distill squash head")
        done = squash.squash(cfg, revision, message, url, rev_id)
        replaced = done.baseline.replaces
        click.echo(
            f"Wrote {done.path}: replaces {len(replaced)} revision(s), base..{done.baseline.tip}; "
            "checked: it builds the same schema as the history"
        )
        for note in done.notes:
            click.echo(f"  data statement: {note}")
        for warning in done.warnings:
            click.echo(f"  warning: {warning}")

    invoke(ctx, run)
