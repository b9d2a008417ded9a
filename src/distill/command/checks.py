"""distill's checking commands: lint (and the findings `revision --autogenerate` prints),
verify and log."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from distill.command.running import (
    alembic_names,
    inspect_database,
    is_terminal,
    run_env_for,
    script_directory,
)
from distill.errors import DistillError

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

    from distill.autogenerate.revision_context import RevisionContext
    from distill.config import Config
    from distill.lint import Finding, LintReport
    from distill.runtime.ledger import Entry
    from distill.runtime.ledger_view import LedgerView
    from distill.runtime.migrator import MigrationContext
    from distill.runtime.verification import Finding as ChangedFile
    from distill.scripts.directory import Script, ScriptDirectory


def print_lint_findings(
    config: Config,
    script: ScriptDirectory,
    revision_context: RevisionContext,
    written: Sequence[Script | None],
) -> None:
    """Lint each file autogenerate just wrote, on the database it compared; print findings."""
    from distill.lint import lint_revision
    from distill.lint.engine import LintReport
    from distill.lint.formats import as_text

    context = revision_context.last_migration_context
    if context is None:
        return
    revisions = tuple(item.revision for item in written if item is not None)
    size = revision_context.op_count()
    if size == 0:  # nothing changed: an empty upgrade() and downgrade() are the answer
        return
    if size > LINT_MAX_OPS:
        # a baseline of a whole schema: recording it costs seconds and says little new
        config.print_stdout(
            f"  {size} operations were not linted here; review them with `distill lint`"
        )
        return
    findings = []
    with alembic_names():
        for rev in revisions:
            try:
                findings.extend(lint_revision(script, rev, context.dialect, dict(context.opts)))
            except Exception as error:  # the file is written; lint must not undo the command
                config.print_stdout(f"  lint could not check {rev}: {error}")
    if not findings:
        return
    messages = {rev: script.graph.revisions[rev].doc.strip().split("\n")[0] for rev in revisions}
    colour = is_terminal(config)
    summary = as_text(LintReport(revisions, tuple(findings)), messages, False).splitlines()[-1]
    shown = as_text(LintReport(revisions, tuple(findings[:LINT_SHOWN])), messages, colour)
    config.print_stdout("Review before applying (distill lint):")
    config.print_stdout(shown.rsplit("\n", 1)[0])
    if len(findings) > LINT_SHOWN:
        config.print_stdout(
            f"  ... and {len(findings) - LINT_SHOWN} more; `distill lint` lists them all"
        )
    config.print_stdout(summary)


# findings `revision --autogenerate` prints before pointing at `distill lint`
LINT_SHOWN = 20
# above this many operations `revision --autogenerate` leaves linting to `distill lint`
LINT_MAX_OPS = 200


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
    script = script_directory(config)
    revisions, found_dialect, opts = _lint_target(config, script, rev_range, all_revisions)
    if dialect is not None:
        from distill.dialects.lint_profile import dialect_named

        found_dialect = dialect_named(dialect)
    if found_dialect is None:
        raise DistillError(
            "lint cannot tell the database: set sqlalchemy.url, or pass --dialect "
            "postgresql|mysql|mariadb|sqlite"
        )
    with alembic_names():
        report = lint_history(script, revisions, found_dialect, opts)
    messages = {rev: script.graph.revisions[rev].doc.strip().split("\n")[0] for rev in revisions}
    colour = fmt == "text" and is_terminal(config)
    config.print_stdout(render(report, fmt, messages, colour))
    return report


def lint_file(
    config: Config, path: str | os.PathLike[str], dialect: str | None = None
) -> list[Finding]:
    """The lint findings of one revision file (as `revision --autogenerate` wrote it)."""
    from pathlib import Path

    from distill.lint import lint_revision

    script = script_directory(config)
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
    with alembic_names():
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
        inspect_database(config, script, look)
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
        run_env_for(config, script, RunRequest(Inspect(look), as_sql=True))
    except Exception:  # env.py may need what only a deployment has; the dialect can be given
        seen.clear()
    finally:
        config.output_buffer = buffer
    return revisions, seen.get("dialect"), seen.get("opts", {})


def read_ledger_view(
    config: Config, limit: int | None = None
) -> tuple[ScriptDirectory, LedgerView]:
    """The database's applied-revision log and version rows, compared with the files."""
    from distill.runtime.ledger_view import read_ledger

    script = script_directory(config)
    found: list[LedgerView] = []
    inspect_database(
        config, script, lambda heads, context: found.append(read_ledger(context, heads, limit))
    )
    if not found:
        raise DistillError("env.py ran no migrations, so the database could not be read")
    return script, found[0]


def verify(config: Config) -> list[ChangedFile]:
    """Compare the applied revisions' files with the checksums in the log; raise VerifyFailed
    (exit 1) naming each applied revision whose file was edited or deleted."""
    from distill.errors import VerifyFailed
    from distill.runtime.ledger_observer import refusal

    _, view = read_ledger_view(config)
    if not view.has_log:
        if view.rows:
            config.print_stdout(
                f"No {view.log_name} in this database: it was migrated without distill. "
                "The next distill upgrade, downgrade or stamp adopts it (records the "
                f"{len(view.applied)} applied revisions with their files as they are then)"
            )
        else:
            config.print_stdout("Nothing applied yet: nothing to verify")
        return []
    for finding in view.findings:
        config.print_stdout(finding.line())
    blocking = view.blocking
    if blocking:
        raise VerifyFailed(refusal(blocking, view.log_name))
    recorded = len(view.applied) - len(view.findings)
    config.print_stdout(f"OK: {recorded} applied revision(s) match their files")
    return list(view.findings)


def log(config: Config, limit: int | None = None, fmt: str = "text") -> list[Entry]:
    """Print the applied-revision log, newest first (`limit` rows; `fmt` text or json)."""
    from distill.runtime.ledger_view import log_json, log_lines

    if fmt not in ("text", "json"):
        raise DistillError(f"--format {fmt}: use text or json")
    if limit is not None and limit < 1:
        raise DistillError(f"-n {limit}: give a number of rows of at least 1")
    _, view = read_ledger_view(config, limit=limit)
    entries = list(reversed(view.entries))
    if fmt == "json":
        config.print_stdout(log_json(entries))
    elif not view.has_log:
        config.print_stdout(f"No {view.log_name} in this database: nothing recorded yet")
    else:
        for line in log_lines(entries):
            config.print_stdout(line)
    return entries
