"""Autogenerate: models compared with the database, written as a revision's ops.

The registries (`comparators`, `renderers`, `Plugin`), the op containers and
`Rewriter` load with the package, as plugins need them. The engine (reflect,
compare, render) loads on first use of `compare_metadata`, `produce_migrations`,
`render_python_code` or `RevisionContext`, so commands that do not autogenerate
never import it.

For Alembic code: `alembic.autogenerate` (and its `api`, `compare`, `render`,
`rewriter` submodules) map here.
"""

from __future__ import annotations

import importlib
from typing import Any

from distill.autogenerate.autogen_context import AutogenContext
from distill.autogenerate.containers import (
    DowngradeOps,
    MigrationScript,
    ModifyTableOps,
    OpContainer,
    UpgradeOps,
)
from distill.autogenerate.registry import (
    ComparatorRegistry,
    DispatchPriority,
    Plugin,
    PriorityDispatchResult,
    RendererRegistry,
    comparators,
    renderers,
)
from distill.autogenerate.rewriter import Rewriter

# names served on first use: the engine module each comes from
_LAZY = {
    "compare_metadata": "distill.autogenerate.api",
    "produce_migrations": "distill.autogenerate.api",
    "render_python_code": "distill.autogenerate.api",
    "render_op_text": "distill.autogenerate.api",
    "RevisionContext": "distill.autogenerate.revision_context",
    "rename_candidates": "distill.autogenerate.api",
    "RenameCandidate": "distill.autogenerate.renames",
    "Renames": "distill.autogenerate.renames",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AutogenContext",
    "ComparatorRegistry",
    "DispatchPriority",
    "DowngradeOps",
    "MigrationScript",
    "ModifyTableOps",
    "OpContainer",
    "Plugin",
    "PriorityDispatchResult",
    "RenameCandidate",
    "Renames",
    "RendererRegistry",
    "RevisionContext",
    "Rewriter",
    "UpgradeOps",
    "comparators",
    "compare_metadata",
    "produce_migrations",
    "rename_candidates",
    "render_op_text",
    "render_python_code",
    "renderers",
]
