"""Migration directives: op objects (ops), and the Operations facade behind `op` (api).

For Alembic code: `alembic.operations` maps here, `alembic.operations.ops` to
`distill.operations.ops` and `alembic.operations.base` to `distill.operations.api`.
"""

from __future__ import annotations

from distill.operations import ops
from distill.operations.api import Operations
from distill.operations.ops import MigrateOperation

__all__ = ["MigrateOperation", "Operations", "ops"]
