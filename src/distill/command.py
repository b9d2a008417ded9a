"""The programmatic API: the same functions and signatures as Alembic's `command` module."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from distill import compat
from distill.errors import DatabaseNotAtHead, DistillError, RangeNotAllowed

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

    from distill.config import Config
    from distill.lint import Finding, LintReport
    from distill.runtime.migrator import MigrationContext
    from distill.runtime.request import InspectFn, RunRequest
    from distill.scripts.directory import Script, ScriptDirectory

RevIds = str | Sequence[str]


def _script(config: Config) -> ScriptDirectory:
    """The project's migration folder, as the config names it."""
    from distill.scripts.directory import ScriptDirectory

    return ScriptDirectory.from_config(config)


def _run_env(config: Config, script: ScriptDirectory, request: RunRequest) -> None:
    """Run the project's env.py for `request`, alembic names served by distill.

    The one way distill runs env.py.
    """
    from distill.runtime.environment import EnvironmentContext

    with compat.alembic_names(), EnvironmentContext(config, script, request=request):
        script.run_env()


def script_directory(config: Config) -> ScriptDirectory:
    """The project's migration folder (for distill.testing and other callers)."""
    return _script(config)


def run_env(config: Config, request: RunRequest, script: ScriptDirectory | None = None) -> None:
    """Run the project's env.py for a prepared RunRequest (distill.testing uses it)."""
    _run_env(config, script if script is not None else _script(config), request)


def _inspect(config: Config, script: ScriptDirectory, callback: InspectFn) -> None:
    """Run env.py only to hand the database's revisions to `callback`; change nothing."""
    from distill.runtime.request import Inspect, RunRequest

    _run_env(config, script, RunRequest(Inspect(callback), create_version_table=False))


def list_templates(config: Config) -> None:
    """List the project templates `init` can write."""
    from distill.scripts.init import list_templates as _list

    _list(config)


def init(config: Config, directory: str, template: str = "generic", package: bool = False) -> None:
    """Create a new migration folder and its config file."""
    from distill.scripts.init import init_project

    init_project(config, directory, template=template, package=package)


def revision(
    config: Config,
    message: str | None = None,
    autogenerate: bool = False,
    sql: bool = False,
    head: str = "head",
    splice: bool = False,
    branch_label: RevIds | None = None,
    version_path: str | os.PathLike[str] | None = None,
    rev_id: str | None = None,
    depends_on: RevIds | None = None,
    process_revision_directives: Callable[..., Any] | None = None,
) -> Script | None:
    """Create a new revision file."""
    if autogenerate:
        raise DistillError(
            "--autogenerate is not available in this version of distill yet; write the "
            "revision by hand (distill revision -m ...) until it lands"
        )
    from distill.scripts.directory import ScriptDirectory

    settings = config.script_settings()
    if sql and not settings.revision_environment:
        raise DistillError(
            "Using --sql with the revision command when revision_environment is not "
            "configured does not make any sense"
        )
    script = ScriptDirectory.from_settings(settings, config)
    return script.generate_revision(
        rev_id or _new_rev_id(),
        message,
        refresh=True,
        head=head,
        splice=splice,
        branch_labels=branch_label,
        version_path=version_path,
        depends_on=depends_on,
        **_template_args_from_env(config, script, settings.revision_environment, sql),
    )


def merge(
    config: Config,
    revisions: RevIds,
    message: str | None = None,
    branch_label: RevIds | None = None,
    rev_id: str | None = None,
    splice: bool = False,
) -> Script | None:
    """Create a revision that merges two or more heads."""
    from distill.scripts.directory import ScriptDirectory

    settings = config.script_settings()
    script = ScriptDirectory.from_settings(settings, config)
    return script.generate_revision(
        rev_id or _new_rev_id(),
        message,
        refresh=True,
        head=revisions,
        splice=splice,
        branch_labels=branch_label,
        **_template_args_from_env(config, script, settings.revision_environment, False),
    )


def _template_args_from_env(
    config: Config, script: ScriptDirectory, revision_environment: bool, sql: bool
) -> dict[str, Any]:
    """With revision_environment, run env.py without migrating and collect its
    configure(template_args=...); otherwise nothing."""
    from distill.runtime.request import Inspect, RunRequest

    collected: dict[str, Any] = {}
    if not revision_environment:
        return collected

    def collect(heads: tuple[str, ...], context: MigrationContext) -> None:
        collected.update(context.opts.get("template_args") or {})

    _run_env(config, script, RunRequest(Inspect(collect), as_sql=sql))
    return collected


def _new_rev_id() -> str:
    """A new revision id: twelve hex digits."""
    from distill.scripts.writer import new_rev_id

    return new_rev_id()


def upgrade(
    config: Config,
    revision: str,
    sql: bool = False,
    tag: str | None = None,
    *,
    backup: bool = False,
) -> None:
    """Upgrade the database to a later revision (`backup`: copy it first, as the CLI does)."""
    _migrate(config, revision, sql, tag, upgrading=True, backup=backup)


def downgrade(
    config: Config,
    revision: str,
    sql: bool = False,
    tag: str | None = None,
    *,
    backup: bool = False,
) -> None:
    """Revert the database to an earlier revision (`backup`: copy it first, as the CLI does)."""
    if sql and ":" not in revision:
        raise DistillError(
            "downgrade with --sql requires <fromrev>:<torev>, e.g. downgrade head:base --sql"
        )
    _migrate(config, revision, sql, tag, upgrading=False, backup=backup)


def _migrate(
    config: Config, revision: str, sql: bool, tag: str | None, upgrading: bool, backup: bool = False
) -> None:
    """Run env.py with the upgrade or downgrade plan to `revision` (`start:end` with sql)."""
    from distill.runtime.request import Migrate, RunRequest

    script = _script(config)
    starting_rev = None
    if ":" in revision:
        if not sql:
            raise RangeNotAllowed(
                "Range revision not allowed; a start:end range needs --sql, "
                "online give one target such as head or a revision id"
            )
        starting_rev, revision = revision.split(":", 1)
    direction: Literal["upgrade", "downgrade"] = "upgrade" if upgrading else "downgrade"
    action = Migrate(direction, revision)
    if backup and not sql:
        from distill.runtime.backups import BackedUpMigrate, BackupSettings

        if BackupSettings.of(config).enabled:
            action = BackedUpMigrate(direction, revision, config)
    request = RunRequest(
        action,
        as_sql=sql,
        starting_rev=starting_rev,
        destination_rev=revision,
        tag=tag,
    )
    _run_env(config, script, request)


def restore(config: Config, path: str | None = None) -> None:
    """Put the latest (or the named) backup of the SQLite database file back."""
    from distill.dialects import file_database
    from distill.runtime.backups import restore as put_back

    script = _script(config)
    found: list[str] = []

    def locate(heads: tuple[str, ...], context: MigrationContext) -> None:
        if context.connection is not None:
            found.append(str(context.connection.engine.url.render_as_string(False)))

    _inspect(config, script, locate)
    database = file_database.database_file(found[0]) if found else None
    if database is None:
        raise DistillError(
            "restore puts back the copies distill takes of SQLite database files; this "
            "database is not one: restore it with the tool of your backup_command"
        )
    known = set(script.graph.revisions)
    kept = put_back(config, database, known, path)
    config.print_stdout(f"Restored {database}; the replaced database is kept at {kept}")


def stamp(
    config: Config, revision: RevIds, sql: bool = False, tag: str | None = None, purge: bool = False
) -> None:
    """Set the version table to the given revision(s) without running any migration."""
    from distill.runtime.request import RunRequest, Stamp

    script = _script(config)
    targets = [revision] if isinstance(revision, str) else list(revision)
    if sql and purge:
        raise DistillError("Can't use --purge with --sql mode; stamp --sql without --purge")
    starting_rev = None
    if sql:
        starts = set()
        for index, target in enumerate(targets):
            if ":" in target:
                start, targets[index] = target.split(":", 1)
                starts.add(start)
        if len(starts) > 1:
            raise DistillError(
                "Stamp operation with --sql only supports a single starting revision at a time"
            )
        starting_rev = starts.pop() if starts else None
    request = RunRequest(
        Stamp(tuple(targets)),
        as_sql=sql,
        starting_rev=starting_rev,
        destination_rev=targets[-1] if targets else None,
        tag=tag,
        purge=purge,
    )
    _run_env(config, script, request)


def current(config: Config, check_heads: bool = False, verbose: bool = False) -> None:
    """Show the revision(s) the database is at."""
    from distill.config import mask_url
    from distill.scripts.describe import current_entry

    script = _script(config)

    def show(heads: tuple[str, ...], context: MigrationContext) -> None:
        graph = script.graph
        if check_heads and set(heads) != set(graph.heads):
            raise DatabaseNotAtHead("Database is not on all head revisions")
        if verbose:
            url = context.connection.engine.url if context.connection is not None else ""
            config.print_stdout("Current revision(s) for %s:", mask_url(str(url)))
        for rev in heads:
            config.print_stdout(current_entry(graph, rev, verbose=verbose))

    _inspect(config, script, show)


def heads(config: Config, verbose: bool = False, resolve_dependencies: bool = False) -> None:
    """Show the head revision(s) of the history."""
    from distill.scripts.describe import heads_entry

    graph = _script(config).graph
    for rev in graph.real_heads if resolve_dependencies else graph.heads:
        config.print_stdout(heads_entry(graph, rev, verbose=verbose))


def branches(config: Config, verbose: bool = False) -> None:
    """Show the branch points of the history."""
    from distill.scripts.describe import branches_text

    script = _script(config)
    text = branches_text(script.graph, verbose=verbose)
    if text:
        config.print_stdout(text)


def history(
    config: Config,
    rev_range: str | None = None,
    verbose: bool = False,
    indicate_current: bool = False,
) -> None:
    """List revisions newest first, optionally only a `start:end` range."""
    from distill.scripts.describe import history_entry

    script = _script(config)
    lower, upper = "base", "heads"
    if rev_range is not None:
        if ":" not in rev_range:
            raise DistillError("History range requires [start]:[end], [start]:, or :[end]")
        lower, upper = rev_range.split(":", 1)
        lower, upper = lower.strip() or "base", upper.strip() or "heads"

    def emit(current_heads: tuple[str, ...]) -> None:
        low = _substitute_current(lower, current_heads, "base")
        high = _substitute_current(upper, current_heads, "heads")
        for rev in script.graph.walk(high, low):
            config.print_stdout(
                history_entry(script.graph, rev, verbose=verbose, current=current_heads)
            )

    if indicate_current or "current" in (lower, upper):
        _inspect(config, script, lambda found, context: emit(found))
    else:
        emit(())


def _substitute_current(
    bound: str, current_heads: tuple[str, ...], empty: str
) -> str | tuple[str, ...]:
    """`current` in a history range means the database's revisions (`empty` if none)."""
    if bound != "current":
        return bound
    return current_heads or empty


def show(config: Config, rev: str) -> None:
    """Show the revision(s) an identifier names."""
    from distill.scripts.describe import verbose_block

    script = _script(config)
    if rev == "current":

        def show_current(found: tuple[str, ...], context: MigrationContext) -> None:
            for current_rev in found:
                config.print_stdout(verbose_block(script.graph, current_rev))

        _inspect(config, script, show_current)
        return
    for resolved in script.graph.resolve(rev):
        config.print_stdout(verbose_block(script.graph, resolved))


def edit(config: Config, rev: str) -> None:
    """Open a revision file in $EDITOR."""
    script = _script(config)
    if rev == "current":
        found: list[str] = []
        _inspect(config, script, lambda heads, context: found.extend(heads))
        revs: Sequence[str] = found
    else:
        revs = script.graph.resolve(rev)
    if not revs:
        raise DistillError(f"No revision files indicated by symbol '{rev}'")
    for resolved in revs:
        _open_in_editor(script.graph.get(resolved).path)


def _open_in_editor(path: str) -> None:
    """Open `path` in the user's editor ($EDITOR, $VISUAL, or a common one)."""
    import shutil

    for candidate in (os.environ.get("EDITOR"), os.environ.get("VISUAL"), "vim", "vi", "nano"):
        if not candidate:
            continue
        argv = shlex.split(candidate)
        if shutil.which(argv[0]):
            subprocess.run([*argv, path], check=False)
            return
    raise DistillError(f"No editor found to open {path}; set the EDITOR environment variable")


def ensure_version(config: Config, sql: bool = False) -> None:
    """Create the version table if it does not exist yet."""
    from distill.runtime.request import CreateVersionTable, RunRequest

    _run_env(config, _script(config), RunRequest(CreateVersionTable(), as_sql=sql))


def lint(
    config: Config,
    rev_range: str | None = None,
    all_revisions: bool = False,
    dialect: str | None = None,
    fmt: str = "text",
) -> LintReport:
    """Check revisions for risky changes and print the findings; return the report.

    By default the revisions pending on the configured database; `rev_range`
    (`start:end`) or `all_revisions` pick others without connecting.
    """
    from distill.lint import lint_history
    from distill.lint.formats import FORMATS, render

    if fmt not in FORMATS:
        raise DistillError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
    if rev_range is not None and all_revisions:
        raise DistillError("lint takes -r START:END or --all, not both")
    script = _script(config)
    revisions, found_dialect, opts = _lint_target(config, script, rev_range, all_revisions)
    if dialect is not None:
        from distill.dialects.lint_profile import dialect_named

        found_dialect = dialect_named(dialect)
    if found_dialect is None:
        raise DistillError(
            "lint cannot tell the database: set sqlalchemy.url, or pass --dialect "
            "postgresql|mysql|mariadb|sqlite"
        )
    with compat.alembic_names():
        report = lint_history(script, revisions, found_dialect, opts)
    messages = {rev: script.graph.revisions[rev].doc.strip().split("\n")[0] for rev in revisions}
    colour = fmt == "text" and _is_terminal(config)
    config.print_stdout(render(report, fmt, messages, colour))
    return report


def lint_file(
    config: Config, path: str | os.PathLike[str], dialect: str | None = None
) -> list[Finding]:
    """The lint findings of one revision file (as `revision --autogenerate` wrote it)."""
    from pathlib import Path

    from distill.lint import lint_revision

    script = _script(config)
    wanted = Path(path).resolve()
    rev_id = next(
        (
            rev
            for rev, found in script.graph.revisions.items()
            if Path(found.path).resolve() == wanted
        ),
        None,
    )
    if rev_id is None:
        raise DistillError(f"{path} is not a revision file of this project's migration folder")
    _, found_dialect, opts = _lint_target(config, script, None, True)
    if dialect is not None or found_dialect is None:
        from distill.dialects.lint_profile import dialect_named

        found_dialect = dialect_named(dialect or "sqlite")
    with compat.alembic_names():
        return lint_revision(script, rev_id, found_dialect, opts)


def _lint_target(
    config: Config, script: ScriptDirectory, rev_range: str | None, all_revisions: bool
) -> tuple[list[str], Dialect | None, dict[str, Any]]:
    """The revisions to lint (run order), the database's dialect and env.py's options."""
    from distill.runtime.request import Inspect, RunRequest

    seen: dict[str, Any] = {}

    def look(heads: tuple[str, ...], context: MigrationContext) -> None:
        seen.update(heads=heads, dialect=context.dialect, opts=dict(context.opts))

    graph = script.graph
    if rev_range is None and not all_revisions:
        _inspect(config, script, look)
        steps = graph.upgrade_plan(list(seen["heads"]), "heads")
        revisions = [step.revision for step in steps if step.revision and step.kind == "upgrade"]
        return revisions, seen["dialect"], seen["opts"]
    lower, upper = "base", "heads"
    if rev_range is not None:
        if ":" not in rev_range:
            raise DistillError("lint -r needs a range: START:END, START: or :END")
        lower, upper = (part.strip() for part in rev_range.split(":", 1))
        lower, upper = lower or "base", upper or "heads"
    revisions = list(reversed(graph.walk(upper, lower)))
    import io

    # env.py runs offline only to tell the dialect and options: its script goes nowhere
    buffer, config.output_buffer = config.output_buffer, io.StringIO()
    try:
        _run_env(config, script, RunRequest(Inspect(look), as_sql=True))
    except Exception:  # env.py may need what only a deployment has; the dialect can be given
        seen.clear()
    finally:
        config.output_buffer = buffer
    return revisions, seen.get("dialect"), seen.get("opts", {})


def _is_terminal(config: Config) -> bool:
    """Whether the config's stdout is a terminal (colour on)."""
    isatty = getattr(config.stdout, "isatty", None)
    return bool(isatty and isatty())
