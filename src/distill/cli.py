"""The `distill` command line: parse, call command.py, print. No logic of its own."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from distill import __version__
from distill.errors import DistillError, MigrationError, revision_failure

if TYPE_CHECKING:
    from distill.config import Config

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


class Options:
    """The global options, given before the subcommand as Alembic expects them."""

    def __init__(
        self, config: Sequence[str], name: str | None, x: Sequence[str], raiseerr: bool, quiet: bool
    ) -> None:
        self.config_files = list(config)
        self.name = name
        self.x = list(x)
        self.raiseerr = raiseerr
        self.quiet = quiet

    def config(self, must_exist: bool = True) -> Config:
        """Build the Config the command runs with."""
        from distill.config import find_config

        return find_config(
            self.config_files,
            self.name,
            self.x,
            quiet=self.quiet,
            must_exist=must_exist,
        )


def _run(
    ctx: click.Context,
    action: Callable[[Config], None],
    must_exist: bool = True,
    runs_env: bool = True,
) -> None:
    """Run one command with the project's Config.

    `runs_env=False` marks a command that never runs env.py (it only reads the revision
    files), so the run reporter and the logging it brings are not imported.
    """
    options: Options = ctx.obj

    def with_config() -> None:
        if runs_env:
            from distill.runtime.report import ConsoleReporter, set_reporter

            set_reporter(ConsoleReporter(sys.stderr, quiet=options.quiet))
        config = options.config(must_exist=must_exist)
        if ctx.meta.get("distill_no_lock"):  # --no-lock: deploy_lock = false for this run
            config.set_main_option("deploy_lock", "false")
        action(config)

    _guard(options, with_config)


def _guard(options: Options, action: Callable[[], None]) -> None:
    """Run `action`; report a failure as one line unless tracebacks were asked for."""
    try:
        action()
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as error:
        if options.raiseerr:
            raise
        failure = revision_failure(error)
        if failure is not None:  # raised inside a revision: exit 1, as under Alembic
            _fail(failure.message, 1)
        elif isinstance(error, (DistillError, MigrationError)):
            _fail(str(error), error.exit_code)
        else:
            _fail(_describe_unexpected(error), 1)


def _describe_unexpected(error: Exception) -> str:
    """One line for an exception distill did not raise itself."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    if isinstance(error, NoSuchModuleError):
        return (
            f"{_first_line(error)}: the database driver in sqlalchemy.url is not installed; "
            "install it (pip install 'distill[postgres]' for psycopg, 'distill[mysql]' for "
            "PyMySQL) or fix the URL's dialect+driver"
        )
    if isinstance(error, ArgumentError) and "URL" in str(error):
        return (
            f"{_first_line(error)}: sqlalchemy.url must look like "
            "dialect+driver://user:password@host:port/database (or sqlite:///path.db)"
        )
    if isinstance(error, DBAPIError):
        detail = _first_line(error.orig) if error.orig is not None else _first_line(error)
        where = f" running: {_first_line_of(error.statement)}" if error.statement else ""
        return (
            f"database error{where}: {detail}; check sqlalchemy.url and that the database "
            "server is running (--traceback for the full traceback)"
        )
    return (
        f"{error.__class__.__name__}: {_first_line(error)} "
        "(run with --traceback for the full traceback)"
    )


def _first_line_of(text: str) -> str:
    """The first non-empty line of `text`, cut to 200 characters."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[0] if lines else "")[:200]


def _first_line(error: BaseException) -> str:
    """The first line of an exception's message."""
    return _first_line_of(str(error)) or repr(error)


def _fail(message: str, code: int) -> None:
    """Print FAILED: <message> on stderr and exit with `code`."""
    click.echo(f"FAILED: {message}", err=True)
    sys.exit(code)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.option(
    "-c", "--config", multiple=True, metavar="FILE", help="Config file (ini or pyproject.toml)."
)
@click.option("-n", "--name", default=None, help="Section of the ini file to use.")
@click.option("-x", "x", multiple=True, metavar="KEY=VALUE", help="Argument for env.py.")
@click.option("--raiseerr", "--traceback", "raiseerr", is_flag=True, help="Show full tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.version_option(__version__, "--version", prog_name="distill", message="%(prog)s %(version)s")
@click.pass_context
def main(
    ctx: click.Context,
    config: tuple[str, ...],
    name: str | None,
    x: tuple[str, ...],
    raiseerr: bool,
    quiet: bool,
) -> None:
    """distill: database migrations for SQLAlchemy, a drop-in for Alembic."""
    ctx.obj = Options(config, name, x, raiseerr, quiet)


def _command(name: str) -> Callable[[Callable[..., Any]], click.Command]:
    """Register a subcommand under its Alembic name (underscores kept)."""
    return main.command(name=name, context_settings=CONTEXT_SETTINGS)


def _relative_command(name: str) -> Callable[[Callable[..., Any]], click.Command]:
    """A subcommand whose revision argument may start with '-' (downgrade -1)."""
    return main.command(
        name=name, context_settings={**CONTEXT_SETTINGS, "ignore_unknown_options": True}
    )


@_command("init")
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

    _run(ctx, lambda cfg: command.init(cfg, directory, template, package), must_exist=False)


@_command("list_templates")
@click.pass_context
def list_templates_cmd(ctx: click.Context) -> None:
    """List the available project templates."""
    from distill import command

    _run(ctx, command.list_templates, must_exist=False)


@_command("revision")
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
    _run(
        ctx,
        lambda cfg: _ignore(
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


@_command("check")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one object with the differences, for CI.",
)
@click.pass_context
def check_cmd(ctx: click.Context, output_format: str) -> None:
    """Exit 1 and list the differences when the models and the database differ."""
    from distill import command
    from distill.errors import AutogenerateDiffsDetected

    def run(cfg: Config) -> None:
        try:
            command.check(cfg, quiet=output_format == "json")
        except AutogenerateDiffsDetected as found:
            _print_differences(found, output_format)
            sys.exit(1)
        if output_format == "json":
            click.echo('{"differences": []}')

    _run(ctx, run)


def _print_differences(found: Any, output_format: str) -> None:
    """The differences `check` found: one line each, or a JSON document."""
    from distill.command import describe_differences

    lines = describe_differences(found.diffs or [])
    if output_format == "json":
        import json

        click.echo(json.dumps({"differences": lines}, indent=2))
        return
    click.echo(f"{len(lines)} difference(s) between the models and the database:")
    for line in lines:
        click.echo(f"  - {line['text']}")
    click.echo("Generate a revision for them: distill revision --autogenerate -m MESSAGE")


def _ignore(value: object) -> None:
    """Drop a command's return value (the CLI prints, it does not return)."""


@_command("merge")
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

    _run(
        ctx,
        lambda cfg: _ignore(
            command.merge(cfg, list(revisions), message, branch_label, rev_id, splice)
        ),
    )


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
    expose_value=False,
    callback=lambda ctx, _, value: ctx.meta.update(distill_no_lock=True) if value else None,
    help="Take no deploy lock (advisory locks fail behind PgBouncer's transaction pooling).",
)


def _ddl_lock_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """--ddl-lock-timeout and --retries (PostgreSQL's DDL lock timeout)."""
    function = click.option(
        "--retries",
        type=click.IntRange(min=0),
        default=None,
        metavar="N",
        help="Run a revision again (in a new transaction) after a DDL lock timeout.",
    )(function)
    return click.option(
        "--ddl-lock-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        metavar="SECONDS",
        help="Give up a DDL statement that waits this long for a table lock (PostgreSQL).",
    )(function)


@_relative_command("upgrade")
@click.argument("revision")
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
@click.option("--tag", default=None, help="A value env.py reads with context.get_tag_argument().")
@click.option("--no-backup", is_flag=True, help="Skip the copy of the database taken first.")
@click.option(
    "--allow-edited",
    is_flag=True,
    help="Run although applied revisions were edited or deleted (recorded in distill_log).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Run against the database in a transaction that is rolled back; print each statement.",
)
@_LOCK_TIMEOUT
@_NO_LOCK
@_ddl_lock_options
@click.pass_context
def upgrade_cmd(
    ctx: click.Context,
    revision: str,
    sql: bool,
    tag: str | None,
    no_backup: bool,
    allow_edited: bool,
    lock_timeout: float | None,
    ddl_lock_timeout: float | None,
    retries: int | None,
    dry_run: bool,
) -> None:
    """Upgrade to a later revision (head, +N, <id>, label@head, ...)."""
    from distill import command

    options: dict[str, Any] = {
        "lock_timeout": lock_timeout,
        "ddl_lock_timeout": ddl_lock_timeout,
        "retries": retries,
        "allow_edited": allow_edited,
        "dry_run": dry_run,
    }
    _run(ctx, lambda cfg: command.upgrade(cfg, revision, sql, tag, backup=not no_backup, **options))


@_relative_command("downgrade")
@click.argument("revision")
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
@click.option("--tag", default=None, help="A value env.py reads with context.get_tag_argument().")
@click.option("--no-backup", is_flag=True, help="Skip the copy of the database taken first.")
@click.option(
    "--allow-edited",
    is_flag=True,
    help="Run although applied revisions were edited or deleted (recorded in distill_log).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Run against the database in a transaction that is rolled back; print each statement.",
)
@_LOCK_TIMEOUT
@_NO_LOCK
@_ddl_lock_options
@click.pass_context
def downgrade_cmd(
    ctx: click.Context,
    revision: str,
    sql: bool,
    tag: str | None,
    no_backup: bool,
    allow_edited: bool,
    lock_timeout: float | None,
    ddl_lock_timeout: float | None,
    retries: int | None,
    dry_run: bool,
) -> None:
    """Revert to an earlier revision (-N, <id>, base, ...)."""
    from distill import command

    options: dict[str, Any] = {
        "lock_timeout": lock_timeout,
        "ddl_lock_timeout": ddl_lock_timeout,
        "retries": retries,
        "allow_edited": allow_edited,
        "dry_run": dry_run,
    }
    _run(
        ctx, lambda cfg: command.downgrade(cfg, revision, sql, tag, backup=not no_backup, **options)
    )


@_command("restore")
@click.argument("path", required=False)
@click.pass_context
def restore_cmd(ctx: click.Context, path: str | None) -> None:
    """Put the latest (or the named) backup of the SQLite database back."""
    from distill import command

    _run(ctx, lambda cfg: command.restore(cfg, path))


@_command("test")
@click.option("--url", default=None, help="An empty scratch database (default: a temporary file).")
@click.option(
    "--allow-configured-database",
    is_flag=True,
    help="Let --url name the configured database (it is migrated up and down).",
)
@click.pass_context
def test_cmd(ctx: click.Context, url: str | None, allow_configured_database: bool) -> None:
    """Prove the history on a scratch database: up, down, up each revision; models at head."""

    def prove(cfg: Config) -> None:
        from distill.testing import CheckFailed, test_history

        try:
            test_history(cfg, url, allow_configured=allow_configured_database, say=click.echo)
        except CheckFailed as failure:
            click.echo(f"FAIL  {failure.report()}")
            raise
        click.echo("all checks passed")

    _run(ctx, prove)


@_relative_command("stamp")
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
) -> None:
    """Set the version table without running migrations."""
    from distill import command

    _run(
        ctx,
        lambda cfg: command.stamp(cfg, list(revisions), sql, tag, purge, lock_timeout=lock_timeout),
    )


@_command("current")
@click.option("-c", "--check-heads", is_flag=True, help="Fail unless the database is at the heads.")
@click.option("-v", "--verbose", is_flag=True, help="Show each revision in full.")
@click.pass_context
def current_cmd(ctx: click.Context, check_heads: bool, verbose: bool) -> None:
    """Show the database's current revision(s)."""
    from distill import command

    _run(ctx, lambda cfg: command.current(cfg, check_heads, verbose))


@_command("heads")
@click.option("-v", "--verbose", is_flag=True, help="Show each revision in full.")
@click.option("--resolve-dependencies", is_flag=True, help="Count depends_on links as parents.")
@click.pass_context
def heads_cmd(ctx: click.Context, verbose: bool, resolve_dependencies: bool) -> None:
    """Show the head revisions."""
    from distill import command

    _run(ctx, lambda cfg: command.heads(cfg, verbose, resolve_dependencies), runs_env=False)


@_command("branches")
@click.option("-v", "--verbose", is_flag=True, help="Show each revision in full.")
@click.pass_context
def branches_cmd(ctx: click.Context, verbose: bool) -> None:
    """Show the branch points."""
    from distill import command

    _run(ctx, lambda cfg: command.branches(cfg, verbose), runs_env=False)


@_command("history")
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
    _run(
        ctx,
        lambda cfg: command.history(cfg, rev_range, verbose, indicate_current, applied=applied),
        runs_env=reads_database,
    )


@_command("show")
@click.argument("rev")
@click.pass_context
def show_cmd(ctx: click.Context, rev: str) -> None:
    """Show one revision in full."""
    from distill import command

    _run(ctx, lambda cfg: command.show(cfg, rev), runs_env=rev == "current")


@_command("edit")
@click.argument("rev")
@click.pass_context
def edit_cmd(ctx: click.Context, rev: str) -> None:
    """Open a revision file in $EDITOR."""
    from distill import command

    _run(ctx, lambda cfg: command.edit(cfg, rev), runs_env=rev == "current")


@_command("ensure_version")
@click.option("--sql", is_flag=True, help="Print the CREATE TABLE instead of running it.")
@click.pass_context
def ensure_version_cmd(ctx: click.Context, sql: bool) -> None:
    """Create the version table if it is missing."""
    from distill import command

    _run(ctx, lambda cfg: command.ensure_version(cfg, sql))


@_command("demo")
@click.option("--url", default=None, help="Database URL (default: a new SQLite file).")
@click.option("--keep", is_flag=True, help="Keep the demo folder and print where it is.")
@click.pass_context
def demo_cmd(ctx: click.Context, url: str | None, keep: bool) -> None:
    """Walk through the whole workflow in a temporary folder."""
    from distill.demo import run_demo

    _guard(ctx.obj, lambda: run_demo(url=url, keep=keep, quiet=ctx.obj.quiet))


@_command("lint")
@click.option("-r", "--rev-range", default=None, help="START:END instead of the pending ones.")
@click.option("--all", "all_revisions", is_flag=True, help="Every revision of the history.")
@click.option("--dialect", default=None, help="postgresql, mysql, mariadb or sqlite.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    help="github: annotations for GitHub Actions.",
)
@click.pass_context
def lint_cmd(
    ctx: click.Context, rev_range: str | None, all_revisions: bool, dialect: str | None, fmt: str
) -> None:
    """Check revisions for changes that break, lock or fail; exit 1 on an error."""
    from distill import command

    failed: list[bool] = []

    def run(cfg: Config) -> None:
        failed.append(command.lint(cfg, rev_range, all_revisions, dialect, fmt).failed)

    _run(ctx, run)
    if any(failed):
        sys.exit(1)


@main.group(name="fleet", context_settings=CONTEXT_SETTINGS)
def fleet_group() -> None:
    """Run upgrade, downgrade, current or check on many tenant databases or schemas."""


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

    _run(ctx, run)
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


@_command("squash")
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

    _run(ctx, run)


@_command("verify")
@click.pass_context
def verify_cmd(ctx: click.Context) -> None:
    """Exit 1 naming each applied revision whose file was edited or deleted since."""
    from distill import command

    _run(ctx, lambda cfg: _ignore(command.verify(cfg)))


@_command("log")
@click.option("-n", "limit", type=click.IntRange(min=1), default=None, help="Newest N rows only.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="json: an array of rows, for scripts.",
)
@click.pass_context
def log_cmd(ctx: click.Context, limit: int | None, fmt: str) -> None:
    """List the applied-revision log (distill_log), newest first."""
    from distill import command

    _run(ctx, lambda cfg: _ignore(command.log(cfg, limit, fmt)))
