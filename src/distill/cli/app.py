"""The `distill` group, its global options and how every subcommand runs and fails."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from distill import __version__
from distill.errors import DistillError, MigrationError, revision_failure

if TYPE_CHECKING:
    from distill.config import Config

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
# The collector's young-generation threshold for a command line run. A run allocates
# mostly objects that live until it exits (SQLAlchemy, the models env.py imports, the
# revision modules) and little cyclic garbage; at Python's default (700) the collector
# walks them hundreds of times: a third of a second of `revision --autogenerate` with a
# thousand models (docs/benchmarks.md). The older generations keep their thresholds.
CLI_GC_THRESHOLD = 20_000


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


def invoke(
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
        action(options.config(must_exist=must_exist))

    guard(options, with_config)


def guard(options: Options, action: Callable[[], None]) -> None:
    """Run `action`; report a failure as one line unless tracebacks were asked for."""
    try:
        action()
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as error:
        if options.raiseerr:
            raise
        failure = revision_failure(error)
        if failure is not None:  # raised inside a revision: exit 1, as under Alembic
            fail(failure.message, 1)
        elif isinstance(error, (DistillError, MigrationError)):
            fail(str(error), error.exit_code)
        else:
            fail(_describe_unexpected(error), 1)


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


def fail(message: str, code: int) -> None:
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
    _fewer_collections(ctx)


def _fewer_collections(ctx: click.Context) -> None:
    """Raise the young-generation threshold for this run (never lower it), and put it back
    when the command ends (the CLI may run inside another program, a test runner say)."""
    previous = gc.get_threshold()
    if previous[0] and previous[0] < CLI_GC_THRESHOLD:
        gc.set_threshold(CLI_GC_THRESHOLD, *previous[1:])
        ctx.call_on_close(lambda: gc.set_threshold(*previous))


def subcommand(name: str) -> Callable[[Callable[..., Any]], click.Command]:
    """Register a subcommand under its Alembic name (underscores kept)."""
    return main.command(name=name, context_settings=CONTEXT_SETTINGS)


def relative_subcommand(name: str) -> Callable[[Callable[..., Any]], click.Command]:
    """A subcommand whose revision argument may start with '-' (downgrade -1)."""
    return main.command(
        name=name, context_settings={**CONTEXT_SETTINGS, "ignore_unknown_options": True}
    )


def ignore(value: object) -> None:
    """Drop a command's return value (the CLI prints, it does not return)."""
