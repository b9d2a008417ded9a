"""Plans through a squashed baseline: an empty database runs it instead of the range."""

from __future__ import annotations

import pytest

from distill.errors import GraphError
from distill.graph import Revision, RevisionGraph, Step
from distill.graph.baseline import through_baseline

GRAPH = RevisionGraph(
    [
        Revision("a", ()),
        Revision("b", ("a",)),
        Revision("c", ("a",)),
        Revision("m", ("b", "c")),
        Revision("d", ("m",)),
    ]
)


def _plan(target: str, replaces: tuple[str, ...] = ("a", "b", "c", "m")) -> list[Step]:
    plan = GRAPH.upgrade_plan((), target)
    return through_baseline(GRAPH, plan, "base1", replaces, target, GRAPH.upgrade_plan)


def test_an_empty_database_runs_the_baseline_then_the_rest() -> None:
    assert _plan("head") == [
        Step("upgrade", "base1", (), ("m",)),
        Step("upgrade", "d", ("m",), ("d",)),
    ]
    assert _plan("m") == [Step("upgrade", "base1", (), ("m",))]


def test_a_target_inside_the_range_or_a_count_keeps_the_old_files() -> None:
    assert _plan("b") == GRAPH.upgrade_plan((), "b")
    assert _plan("+1") == GRAPH.upgrade_plan((), "+1")


def test_a_baseline_that_no_longer_matches_the_history_is_refused() -> None:
    with pytest.raises(GraphError, match="no longer matches the history below m"):
        _plan("head", ("a", "b", "m"))
    with pytest.raises(GraphError, match="replaces gone, which the history does not have"):
        _plan("head", ("gone", "a", "b", "c", "m"))
