"""Migration directives: op objects (ops), the Operations facade behind `op` (api), and
the built-in implementations that carry each op out (implementations).

For Alembic code: `alembic.operations` maps here, `alembic.operations.ops` to
`distill.operations.ops` and `alembic.operations.base` to `distill.operations.api`.
"""

from __future__ import annotations

# importing implementations registers the built-in ones with Operations
from distill.operations import implementations, ops
from distill.operations.api import Operations
from distill.operations.ops import MigrateOperation

__all__ = ["MigrateOperation", "Operations", "implementations", "ops"]
