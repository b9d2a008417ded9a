"""Plans through a squashed baseline: an empty database runs the baseline instead of the
revisions it replaces, then the rest of the plan as usual."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from distill.errors import GraphError
from distill.graph.model import RevisionMap, Step

_RELATIVE = re.compile(r"[+-]\d+$")


def through_baseline(
    graph: RevisionMap,
    plan: Sequence[Step],
    baseline: str,
    replaces: Sequence[str],
    target: str,
    replan: Callable[[tuple[str, ...], str], list[Step]],
) -> list[Step]:
    """`plan` (from an empty database) with the replaced revisions swapped for `baseline`.

    Only when the plan runs the baseline's last revision: a plan that stops inside the
    replaced range, or counts steps (`+2`), keeps the old files. `replan(rows, target)`
    plans from the baseline's revision on.
    """
    tip = replaces[-1]
    if _RELATIVE.search(target) or not any(s.revision == tip for s in plan):
        return list(plan)
    unknown = [rev for rev in replaces if rev not in graph.revisions]
    if unknown:
        raise GraphError(
            f"the baseline {baseline} replaces {', '.join(unknown)}, which the history does "
            "not have; restore those files or run 'distill squash --finalize'"
        )
    expected = graph.ancestors([tip])
    if expected != set(replaces):
        changed = sorted(expected.symmetric_difference(replaces))
        raise GraphError(
            f"the baseline {baseline} no longer matches the history below {tip} "
            f"({', '.join(changed)} differ); write it again with 'distill squash {tip}'"
        )
    return [Step("upgrade", baseline, (), (tip,)), *replan((tip,), target)]
