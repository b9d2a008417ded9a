"""Autogenerate's Python API, with Alembic's signatures: compare, produce, render, revise.

`compare_metadata` returns Alembic's diff tuples, `produce_migrations` a
MigrationScript, `render_python_code` source text. `RevisionContext` is what the
`revision --autogenerate` command drives: it checks that the database is at the head,
compares, hands the MigrationScripts to `process_revision_directives` hooks, renders
them into the template variables and writes the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from distill.autogenerate.autogen_context import AutogenContext
from distill.autogenerate.containers import DowngradeOps, MigrationScript, UpgradeOps
from distill.autogenerate.renames import RenameCandidate, Renames, find_candidates
from distill.autogenerate.revision_context import RevisionContext, sorted_imports

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
