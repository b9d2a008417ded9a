"""Autogenerate's extension points, ahead of autogenerate itself.

What is here works now: plugins register comparators (`comparators.dispatch_for`),
renderers (`renderers.dispatch_for`) and named `Plugin`s; the op containers
(`UpgradeOps`, `ModifyTableOps`, ...) and `Rewriter` can be built and used by hand.
What waits for the autogenerate engine (compare.py / render.py): calling the
registered comparators against a database, writing ops as Python with the renderers,
and running `process_revision_directives` hooks when a revision is generated.

For Alembic code: `alembic.autogenerate` (and its `api`, `compare`, `render`,
`rewriter` submodules) map here.
"""

from __future__ import annotations

from distill.autogenerate.containers import (
    DowngradeOps,
    MigrationScript,
    ModifyTableOps,
    OpContainer,
    UpgradeOps,
)
from distill.autogenerate.registry import (
    AutogenContext,
    ComparatorRegistry,
    DispatchPriority,
    Plugin,
    PriorityDispatchResult,
    RendererRegistry,
    comparators,
    renderers,
)
from distill.autogenerate.rewriter import Rewriter

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
    "RendererRegistry",
    "Rewriter",
    "UpgradeOps",
    "comparators",
    "renderers",
]
