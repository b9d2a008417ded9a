"""RevisionContext: one `revision` command's new files, filled while env.py runs.

The `revision` and `check` commands hand `run_autogenerate` (or, with
`revision_environment`, `run_no_autogenerate`) to env.py's `run_migrations()`. Each call
compares one database (multi-database env.py files call it once per engine, each with
its own upgrade/downgrade tokens), then hands the MigrationScripts to the
`process_revision_directives` hooks (the command's first, then env.py's, as Alembic
does). `generate_scripts` renders and writes what the hooks left.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

from distill.autogenerate.autogen_context import AutogenContext
from distill.autogenerate.containers import DowngradeOps, MigrationScript, UpgradeOps
from distill.autogenerate.gc_pause import existing_objects_frozen
from distill.autogenerate.renames import RenameCandidate, Renames, find_candidates
from distill.errors import DatabaseNotAtHead, DistillError

_warned_use_module_prefix = False


def warn_unknown_options(opts: dict[str, Any], env_py: str | None = None) -> None:
    """Warn once per process about `use_module_prefix`, the option tutorials invent,
    pointing at the env.py line that passes it."""
    global _warned_use_module_prefix
    if "use_module_prefix" not in opts or _warned_use_module_prefix:
        return
    _warned_use_module_prefix = True
    message = (
        "context.configure(use_module_prefix=...) is not an option (Alembic ignores it "
        "silently); the option is user_module_prefix, and distill does not need it: "
        "rendered types bring their own imports"
    )
    line = _line_naming(env_py, "use_module_prefix") if env_py else None
    if env_py and line:
        warnings.warn_explicit(message, UserWarning, env_py, line)
    else:
        warnings.warn(message, UserWarning, stacklevel=4)


def _line_naming(path: str, word: str) -> int | None:
    """The first line of a file that contains `word` (None if unreadable or absent)."""
    try:
        with open(path, encoding="utf-8") as source:
            for number, text in enumerate(source, start=1):
                if word in text:
                    return number
    except OSError:
        return None
    return None


def sorted_imports(imports: set[str]) -> list[str]:
    """Import lines in isort's order: `import x` lines, then `from x import y` lines."""
    from distill.scripts.writer import import_block

    return import_block(*imports).splitlines()


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _new_rev_id() -> str:
    from distill.scripts.writer import new_rev_id

    return new_rev_id()


class RevisionContext:
    """One `revision` command: the MigrationScripts it will write, filled by env.py's run."""

    def __init__(
        self,
        config: Any,
        script_directory: Any,
        command_args: dict[str, Any],
        process_revision_directives: Callable[..., Any] | None = None,
    ) -> None:
        self.config = config
        self.script_directory = script_directory
        self.command_args = command_args
        self.process_revision_directives = process_revision_directives
        # distill's addition: asked "Did you rename ...? [y/N]" for each likely rename
        self.ask_rename: Callable[[str], bool] | None = None
        self.template_args: dict[str, Any] = {"config": config}
        self.generated_revisions: list[MigrationScript] = [self._default_revision()]
        self.renames = Renames.of(command_args.get("renames"))
        self.rename_candidates: list[RenameCandidate] = []
        self._last_autogen_context: AutogenContext | None = None

    def _default_revision(self) -> MigrationScript:
        args = self.command_args
        return MigrationScript(
            rev_id=args.get("rev_id") or _new_rev_id(),
            message=args.get("message"),
            upgrade_ops=UpgradeOps([]),
            downgrade_ops=DowngradeOps([]),
            head=args.get("head", "head"),
            splice=args.get("splice"),
            branch_label=args.get("branch_label"),
            version_path=args.get("version_path"),
            depends_on=args.get("depends_on"),
        )

    def run_autogenerate(self, rev: Any, migration_context: Any) -> None:
        """Compare models and database on this connection (once per database)."""
        self._run_environment(rev, migration_context, autogenerate=True)

    def run_no_autogenerate(self, rev: Any, migration_context: Any) -> None:
        """Give hooks the empty script when env.py runs for a plain `revision`."""
        self._run_environment(rev, migration_context, autogenerate=False)

    def _check_up_to_date(self, rev: Any) -> None:
        """Refuse to compare a database that is not at the head revision(s)."""
        directory = self.script_directory
        current = {script.revision for script in directory.get_revisions(_as_tuple(rev))}
        heads = set(directory.get_heads())
        if current != heads:
            target = "heads" if len(heads) > 1 else "head"
            raise DatabaseNotAtHead(
                f"Target database is not up to date: it is at "
                f"{', '.join(sorted(current)) or 'base'}, the scripts' head is "
                f"{', '.join(sorted(heads)) or 'base'}; run `distill upgrade {target}` first, "
                "then generate the revision again"
            )

    def _run_environment(self, rev: Any, migration_context: Any, autogenerate: bool) -> None:
        with existing_objects_frozen():
            self._run_environment_unfrozen(rev, migration_context, autogenerate)

    def _run_environment_unfrozen(
        self, rev: Any, migration_context: Any, autogenerate: bool
    ) -> None:
        opts = migration_context.opts
        warn_unknown_options(opts, getattr(self.script_directory, "env_py_location", None))
        template_args = opts.get("template_args")
        if template_args and template_args is not self.template_args:
            self.template_args.update(template_args)
        if autogenerate:
            if self.command_args.get("sql"):
                raise DistillError(
                    "Using --sql with --autogenerate does not make any sense; "
                    "drop one of the two options"
                )
            self._check_up_to_date(rev)
        upgrade_token = opts.get("upgrade_token", "upgrades")
        downgrade_token = opts.get("downgrade_token", "downgrades")
        script = self.generated_revisions[-1]
        if not getattr(script, "_needs_render", False):
            script.upgrade_ops_list[-1].upgrade_token = upgrade_token
            script.downgrade_ops_list[-1].downgrade_token = downgrade_token
            script._needs_render = True  # type: ignore[attr-defined]
        else:
            # a later database of a multi-database env.py adds its own containers
            script.upgrade_ops = [
                *script.upgrade_ops_list,
                UpgradeOps([], upgrade_token=upgrade_token),
            ]
            script.downgrade_ops = [
                *script.downgrade_ops_list,
                DowngradeOps([], downgrade_token=downgrade_token),
            ]
        context = AutogenContext(
            migration_context, opts=self._opts(opts), autogenerate=autogenerate
        )
        self._last_autogen_context = context
        if autogenerate:
            if context.metadata is None:
                raise DistillError(
                    "Can't proceed with --autogenerate option; environment script "
                    f"{self.script_directory.env_py_location} does not provide a MetaData "
                    "object or sequence of objects to the context: set target_metadata and "
                    "pass it to context.configure()"
                )
            found = self._compare(context, script)
            confirmed = self._confirmed(found)
            if confirmed:
                self.renames = self.renames.adding(confirmed)
                context = AutogenContext(migration_context, opts=self._opts(opts))
                self._last_autogen_context = context
                found = self._compare(context, script)
            self.rename_candidates.extend(found)
        if self.process_revision_directives is not None:
            self.process_revision_directives(migration_context, rev, self.generated_revisions)
        hook = opts.get("process_revision_directives")
        if hook is not None:
            hook(migration_context, rev, self.generated_revisions)
        for generated in self.generated_revisions:
            generated._needs_render = True  # type: ignore[attr-defined]

    def _compare(self, context: AutogenContext, script: MigrationScript) -> list[RenameCandidate]:
        """Fill the script's last containers from the comparison; the rename candidates."""
        from distill.autogenerate.compare import compare_to_database

        upgrade_ops = script.upgrade_ops_list[-1]
        downgrade_ops = script.downgrade_ops_list[-1]
        upgrade_ops.ops = []
        downgrade_ops.ops = []
        compare_to_database(context, upgrade_ops)
        upgrade_ops.reverse_into(downgrade_ops)
        found = find_candidates(upgrade_ops)
        upgrade_ops.rename_candidates = found  # type: ignore[attr-defined]
        return found

    def _confirmed(self, found: list[RenameCandidate]) -> list[RenameCandidate]:
        """The candidates the user confirms at the prompt (none without a prompt)."""
        if self.ask_rename is None:
            return []
        return [candidate for candidate in found if self.ask_rename(candidate.question)]

    def _opts(self, opts: dict[str, Any]) -> dict[str, Any]:
        merged = dict(opts)
        merged["distill_renames"] = self.renames
        return merged

    @property
    def last_migration_context(self) -> Any:
        """The MigrationContext of the last database compared (None before a run)."""
        context = self._last_autogen_context
        return context.migration_context if context is not None else None

    def op_count(self) -> int:
        """How many operations the scripts' upgrades hold (table-level groups opened)."""

        def count(ops: list[Any]) -> int:
            return sum(count(op.ops) if hasattr(op, "ops") else 1 for op in ops)

        return sum(
            count(ops.ops) for script in self.generated_revisions for ops in script.upgrade_ops_list
        )

    @property
    def diffs(self) -> list[Any]:
        """Alembic's diff tuples of the last script's upgrade ops (what `check` reports)."""
        script = self.generated_revisions[-1]
        return [diff for ops in script.upgrade_ops_list for diff in ops.as_diffs()]

    def template_args_for(self, script: MigrationScript) -> dict[str, Any]:
        """The template variables of one script: env.py's template_args, bodies, imports."""
        variables = dict(self.template_args)
        if not getattr(script, "_needs_render", False):
            return variables
        from distill.autogenerate.render import render_body

        context = self._last_autogen_context or AutogenContext(None, autogenerate=False)
        context.imports = set(script.imports)
        for upgrade_ops, downgrade_ops in zip(
            script.upgrade_ops_list, script.downgrade_ops_list, strict=True
        ):
            variables[upgrade_ops.upgrade_token] = render_body(context, upgrade_ops)
            variables[downgrade_ops.downgrade_token] = render_body(context, downgrade_ops)
        variables["imports"] = "\n".join(sorted_imports(context.imports))
        return variables

    def generate_scripts(self) -> Iterator[Any]:
        """Write each MigrationScript as a revision file; yields the Script of each."""
        for script in self.generated_revisions:
            with existing_objects_frozen():
                written = self.script_directory.generate_revision(
                    script.rev_id or _new_rev_id(),
                    script.message,
                    refresh=True,
                    head=script.head,
                    splice=bool(script.splice),
                    branch_labels=script.branch_label,
                    version_path=script.version_path,
                    depends_on=script.depends_on,
                    **self.template_args_for(script),
                )
            yield written
