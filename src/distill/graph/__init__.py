"""The revision DAG: pure data in, plain data out (no I/O, no SQLAlchemy).

model.py holds Revision, Step and the validated RevisionMap; resolve.py turns every
identifier form into revision ids; plan.py orders upgrade, downgrade and stamp steps;
RevisionGraph puts the three together. The input order of the revisions matters: it
must be the order Alembic loads files in (version locations in order, file names sorted).
"""

from __future__ import annotations

from distill.graph.model import (
    Revision,
    Step,
    StepKind,
    check_new_revision_id,
    check_revision_id,
)
from distill.graph.revision_graph import RevisionGraph

__all__ = [
    "Revision",
    "RevisionGraph",
    "Step",
    "StepKind",
    "check_new_revision_id",
    "check_revision_id",
]
