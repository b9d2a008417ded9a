"""Autogenerate's Python API, with Alembic's signatures: compare, produce, render, revise.

`compare_metadata` returns Alembic's diff tuples, `produce_migrations` a
MigrationScript, `render_python_code` source text. `RevisionContext` is what the
`revision --autogenerate` command drives: it checks that the database is at the head,
compares, hands the MigrationScripts to `process_revision_directives` hooks, renders
them into the template variables and writes the files.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from distill.autogenerate.autogen_context import AutogenContext
from distill.autogenerate.containers import DowngradeOps, MigrationScript, UpgradeOps
from distill.autogenerate.renames import RenameCandidate, Renames, find_candidates
from distill.errors import DistillError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from distill.operations.ops import MigrateOperation

__all__ = [
    "RevisionContext",
    "compare_metadata",
    "produce_migrations",
    "render_op_text",
    "render_python_code",
]


def compare_to_database(context: AutogenContext, upgrade_ops: UpgradeOps) -> None:
    """Fill `upgrade_ops` from the comparison (the engine is imported on first use)."""
    from distill.autogenerate.compare import compare_to_database as compare

    compare(context, upgrade_ops)


def render_body(context: AutogenContext, container: Any) -> str:
    """The rendered body of upgrade() / downgrade()."""
    from distill.autogenerate.render import render_body as render

    return render(context, container)


def render_op_text(autogen_context: AutogenContext, op: MigrateOperation) -> str:
    """The source of one op."""
    from distill.autogenerate.render import render_op_text as render

    return render(autogen_context, op)


def render_python_code(
    up_or_down_op: UpgradeOps | DowngradeOps,
    sqlalchemy_module_prefix: str = "sa.",
    alembic_module_prefix: str = "op.",
    render_as_batch: bool = False,
    imports: Sequence[str] = (),
    render_item: Any = None,
    migration_context: Any = None,
    user_module_prefix: str | None = None,
) -> str:
    """The source of an UpgradeOps / DowngradeOps, without a database (Alembic's API)."""
    from distill.autogenerate.render import render_python_code as render

    return render(
        up_or_down_op,
        sqlalchemy_module_prefix,
        alembic_module_prefix,
        render_as_batch,
        imports,
        render_item,
        migration_context,
        user_module_prefix,
    )


def _context(migration_context: Any, metadata: Any, renames: Any = None) -> AutogenContext:
    opts = dict(getattr(migration_context, "opts", None) or {})
    if renames is not None:
        opts["distill_renames"] = Renames.of(renames)
    return AutogenContext(migration_context, metadata=metadata, opts=opts)


def compare_metadata(context: Any, metadata: sa.MetaData | Sequence[sa.MetaData]) -> Any:
    """The differences between the models and the database, as Alembic's diff tuples."""
    return produce_migrations(context, metadata).upgrade_ops_list[0].as_diffs()


def produce_migrations(
    context: Any,
    metadata: sa.MetaData | Sequence[sa.MetaData],
    *,
    renames: Renames | Any = None,
) -> MigrationScript:
    """A MigrationScript whose upgrade turns the database into the models.

    `renames` (distill's addition): confirmed renames, e.g. `{"user": "account"}` or
    `["user.name=user.full_name"]`, written as renames instead of drop + add.
    """
    autogen_context = _context(context, metadata, renames)
    upgrade_ops = UpgradeOps(ops=[])
    compare_to_database(autogen_context, upgrade_ops)
    script = MigrationScript(
        rev_id=None, upgrade_ops=upgrade_ops, downgrade_ops=upgrade_ops.reverse()
    )
    found = find_candidates(upgrade_ops)
    script.rename_candidates = found  # type: ignore[attr-defined]
    upgrade_ops.rename_candidates = found  # type: ignore[attr-defined]
    return script


def rename_candidates(script: MigrationScript) -> list[RenameCandidate]:
    """The drop + add pairs of a produced script that may be renames."""
    found = getattr(script, "rename_candidates", None)
    if found is not None:
        return list(found)
    return [c for ops in script.upgrade_ops_list for c in find_candidates(ops)]


def render_script_variables(
    autogen_context: AutogenContext, script: MigrationScript, template_args: dict[str, Any]
) -> None:
    """Put the rendered upgrade/downgrade bodies and imports into the template variables."""
    imports = autogen_context.imports
    for upgrade_ops, downgrade_ops in zip(
        script.upgrade_ops_list, script.downgrade_ops_list, strict=True
    ):
        template_args[upgrade_ops.upgrade_token] = render_body(autogen_context, upgrade_ops)
        template_args[downgrade_ops.downgrade_token] = render_body(autogen_context, downgrade_ops)
    imports.update(script.imports)
    template_args["imports"] = "\n".join(sorted_imports(imports))


def sorted_imports(imports: set[str]) -> list[str]:
    """Import lines in isort's order: `import x` lines, then `from x import y` lines."""
    plain = sorted(line for line in imports if line.startswith("import "))
    from_lines = sorted(line for line in imports if not line.startswith("import "))
    return plain + from_lines


def _warn_unknown_options(opts: dict[str, Any]) -> None:
    if "use_module_prefix" in opts:
        warnings.warn(
            "context.configure(use_module_prefix=...) is not an option (Alembic ignores it "
            "silently); the option is user_module_prefix, and distill does not need it: "
            "rendered types bring their own imports",
            UserWarning,
            stacklevel=3,
        )


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
        self.template_args: dict[str, Any] = {"config": config}
        self.generated_revisions: list[MigrationScript] = [self._default_revision()]
        self.renames = Renames.of(command_args.get("renames"))
        self.rename_candidates: list[RenameCandidate] = []
        self._contexts: list[AutogenContext] = []
        self._tokens: list[str] = []

    def _default_revision(self) -> MigrationScript:
        args = self.command_args
        return MigrationScript(
            rev_id=args.get("rev_id") or _new_rev_id(),
            message=args.get("message"),
            upgrade_ops=UpgradeOps([]),
            downgrade_ops=DowngradeOps([]),
            head=args.get("head"),
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

    def _run_environment(self, rev: Any, migration_context: Any, autogenerate: bool) -> None:
        opts = dict(migration_context.opts)
        _warn_unknown_options(opts)
        if autogenerate:
            heads = set(_as_tuple(migration_context.get_current_heads()))
            if heads != set(_as_tuple(rev)):
                raise DistillError(
                    "Target database is not up to date; run `distill upgrade head` first, "
                    "then generate the revision"
                )
        upgrade_token = opts.get("upgrade_token", "upgrades")
        downgrade_token = opts.get("downgrade_token", "downgrades")
        self.template_args.update(opts.get("template_args") or {})
        if upgrade_token not in self._tokens:
            # the first database replaces the default containers, later ones add theirs
            first = not self._tokens
            self._tokens.append(upgrade_token)
            for script in self.generated_revisions:
                up = UpgradeOps([], upgrade_token=upgrade_token)
                down = DowngradeOps([], downgrade_token=downgrade_token)
                script.upgrade_ops = [up] if first else [*script.upgrade_ops_list, up]
                script.downgrade_ops = [down] if first else [*script.downgrade_ops_list, down]
        if autogenerate:
            metadata = opts.get("target_metadata")
            if metadata is None:
                raise DistillError(
                    "Can't proceed with --autogenerate option; env.py does not provide a "
                    "MetaData object or sequence of objects to the context: set "
                    "target_metadata and pass it to context.configure()"
                )
            context = _context(migration_context, metadata, self.renames)
            self._contexts.append(context)
            for script in self.generated_revisions:
                upgrade_ops = next(
                    o for o in script.upgrade_ops_list if o.upgrade_token == upgrade_token
                )
                downgrade_ops = next(
                    o for o in script.downgrade_ops_list if o.downgrade_token == downgrade_token
                )
                compare_to_database(context, upgrade_ops)
                upgrade_ops.reverse_into(downgrade_ops)
                found = find_candidates(upgrade_ops)
                upgrade_ops.rename_candidates = found  # type: ignore[attr-defined]
                self.rename_candidates.extend(found)
        hooks = [opts.get("process_revision_directives"), self.process_revision_directives]
        for hook in hooks:
            if hook is not None:
                hook(migration_context, rev, self.generated_revisions)

    def render(self) -> None:
        """Render every script's ops into the template variables."""
        context = self._contexts[-1] if self._contexts else AutogenContext(None, autogenerate=False)
        for script in self.generated_revisions:
            render_script_variables(context, script, self.template_args)

    def generate_scripts(self) -> Iterator[Any]:
        """Write each MigrationScript as a revision file; yields the Revision of each."""
        from distill.scripts.writer import write_revision

        self.render()
        for script in self.generated_revisions:
            yield write_revision(
                self.script_directory,
                script.rev_id or _new_rev_id(),
                script.message,
                head=script.head,
                splice=bool(script.splice),
                branch_labels=script.branch_label,
                version_path=script.version_path,
                depends_on=script.depends_on,
                template_args=self.template_args,
            )


def _new_rev_id() -> str:
    from distill.scripts.writer import new_rev_id

    return new_rev_id()


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)
