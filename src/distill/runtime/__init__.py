"""The runtime: runs env.py, executes a migration plan, keeps the version table.

Names are imported lazily so that `distill.runtime.report` (used by the CLI at start-up)
does not pull in SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distill.runtime.environment import EnvironmentContext
    from distill.runtime.migrator import MigrationContext
    from distill.runtime.steps import MigrationInfo

__all__ = ["EnvironmentContext", "MigrationContext", "MigrationInfo"]


def __getattr__(name: str) -> Any:
    """EnvironmentContext, MigrationContext and MigrationInfo, imported on first use."""
    if name == "EnvironmentContext":
        from distill.runtime.environment import EnvironmentContext

        return EnvironmentContext
    if name == "MigrationContext":
        from distill.runtime.migrator import MigrationContext

        return MigrationContext
    if name == "MigrationInfo":
        from distill.runtime.steps import MigrationInfo

        return MigrationInfo
    raise AttributeError(f"module 'distill.runtime' has no attribute {name!r}")
