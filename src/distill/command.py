"""`distill.command`: Alembic's module name for the programmatic API (see commands.py)."""

from distill.commands import (
    branches,
    current,
    downgrade,
    edit,
    ensure_version,
    heads,
    history,
    init,
    list_templates,
    merge,
    revision,
    show,
    stamp,
    upgrade,
)

__all__ = [
    "branches",
    "current",
    "downgrade",
    "edit",
    "ensure_version",
    "heads",
    "history",
    "init",
    "list_templates",
    "merge",
    "revision",
    "show",
    "stamp",
    "upgrade",
]
