"""The revision graph on the test history of ALEMBIC-FACTS.md and small histories.

    aaa111 -> bbb222 (branchpoint) -> ccc111 -\\
                                   \\-> ccc333 --> mmm999 (merge) -> ddd444
    sss001 (label "side", own base, depends_on bbb222) -> sss002

Expected rows and statements are the ones ALEMBIC-FACTS §3 records for Alembic 1.20.1;
cases marked "Alembic crashes" are where distill answers instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from distill.errors import (
    CycleDetected,
    DependencyCycleDetected,
    DistillError,
    GraphError,
    LoopDetected,
    MultipleHeads,
    RangeNotAllowed,
    ResolutionError,
)
from distill.graph import (
    Revision,
    RevisionGraph,
    Step,
    check_new_revision_id,
    check_revision_id,
)

TWO_HEADS = (
    "Multiple head revisions are present for given argument 'head'; please specify a "
    "specific target revision, '<branchname>@head' to narrow to a specific head, or "
    "'heads' for all heads"
)


def rev(
    rev_id: str,
    down: str | tuple[str, ...] = (),
    labels: tuple[str, ...] = (),
    deps: tuple[str, ...] = (),
) -> Revision:
    downs = (down,) if isinstance(down, str) else down
    return Revision(rev_id, downs, labels, deps, f"doc {rev_id}", f"/p/versions/{rev_id}.py")


def graph(*revs: Revision) -> RevisionGraph:
    return RevisionGraph(revs)


# Alembic loads files sorted by name, so ddd444 comes before mmm999.
FACTS = (
    rev("aaa111"),
    rev("bbb222", "aaa111"),
    rev("ccc111", "bbb222"),
    rev("ccc333", "bbb222"),
    rev("ddd444", "mmm999"),
    rev("mmm999", ("ccc111", "ccc333")),
    rev("sss001", labels=("side",), deps=("bbb222",)),
    rev("sss002", "sss001"),
)


@pytest.fixture
def facts() -> RevisionGraph:
    return RevisionGraph(FACTS)


@pytest.fixture
def effective() -> RevisionGraph:
    """FACTS §2: sss003 depends_on ddd444, so ddd444 is only an effective head."""
    return RevisionGraph((*FACTS, rev("sss003", "sss002", deps=("ddd444",))))


def sql(step: Step) -> list[str]:
    """The version-table statements a step stands for (see the Step docstring)."""
    out = [f"DELETE {r}" for r in step.removes[:-1]] + [f"INSERT {a}" for a in step.adds[:-1]]
    if step.removes and step.adds:
        out.append(f"UPDATE {step.removes[-1]} -> {step.adds[-1]}")
    elif step.removes:
        out.append(f"DELETE {step.removes[-1]}")
    elif step.adds:
        out.append(f"INSERT {step.adds[-1]}")
    return out


def run(plan: list[Step]) -> list[tuple[str | None, list[str]]]:
    return [(step.revision, sql(step)) for step in plan]


def rows_after(current: Sequence[str], plan: list[Step]) -> set[str]:
    rows = set(current)
    for step in plan:
        assert set(step.removes) <= rows
        rows = (rows - set(step.removes)) | set(step.adds)
    return rows


def error(call: object, kind: type[DistillError] = ResolutionError) -> str:
    assert callable(call)
    with pytest.raises(kind) as caught:
        call()
    return str(caught.value)


# ---------------------------------------------------------------------- structure


def test_heads_and_bases_follow_input_order(facts: RevisionGraph) -> None:
    assert facts.heads == ("ddd444", "sss002")
    assert facts.real_heads == ("ddd444", "sss002")
    assert facts.bases == ("aaa111", "sss001")
    assert facts.real_bases == ("aaa111",)
    assert list(facts.revisions) == [r.revision for r in FACTS]
    assert facts.get("mmm999") is FACTS[5]
    assert "aaa111" in facts and "zzz" not in facts and len(facts) == 8


def test_effective_head_is_a_head_that_only_a_dependency_points_at(
    effective: RevisionGraph,
) -> None:
    assert effective.heads == ("ddd444", "sss003")
    assert effective.real_heads == ("sss003",)
    assert effective.is_head("ddd444") and not effective.is_real_head("ddd444")
    assert effective.is_effective_head("ddd444")
    assert not effective.is_effective_head("sss003") and effective.is_real_head("sss003")


def test_tree_markers(facts: RevisionGraph) -> None:
    assert facts.is_branch_point("bbb222") and not facts.is_branch_point("aaa111")
    assert facts.is_merge_point("mmm999") and not facts.is_merge_point("ddd444")
    assert facts.children("bbb222") == ("ccc111", "ccc333")
    assert facts.children("ddd444") == ()
    assert facts.parents("mmm999") == ("ccc111", "ccc333")
    assert facts.is_base("sss001") and not facts.is_base("sss002")
    # bbb222 also has sss001 depending on it, but children are down_revision links only
    assert facts.dependencies("sss001") == ("bbb222",)
    assert facts.dependencies("sss002") == ()


def test_normalized_parents_drop_dependencies_an_ancestor_declares() -> None:
    g = graph(
        rev("a1"), rev("d1"), rev("b1", "a1", deps=("d1",)), rev("c1", "b1", deps=("d1", "a1"))
    )
    assert g.normalized_parents("b1") == ("a1", "d1")
    assert g.normalized_parents("c1") == ("b1", "a1")  # d1 comes in through b1
    assert g.normalized_parents("a1") == ()


def test_ancestors_and_descendants(facts: RevisionGraph) -> None:
    assert facts.ancestors(["sss002"]) == {"sss002", "sss001", "bbb222", "aaa111"}
    assert facts.ancestors(["sss002"], include_dependencies=False) == {"sss002", "sss001"}
    assert facts.descendants(["bbb222"]) >= {"sss001", "sss002", "ddd444"}
    assert "sss001" not in facts.descendants(["bbb222"], include_dependencies=False)


def test_labels_are_inherited_by_the_branch(facts: RevisionGraph) -> None:
    # FACTS §2 history: "sss001 -> sss002 (side) (head)"
    assert facts.labels("sss001") == ("side",)
    assert facts.labels("sss002") == ("side",)
    assert facts.labels("ddd444") == ()


def test_label_on_a_branch_tip_reaches_down_to_the_branch_point() -> None:
    g = graph(rev("a1"), rev("b1", "a1"), rev("c1", "b1"), rev("c2", "b1"), rev("d1", "c1", ("x",)))
    assert [r for r in g.revisions if "x" in g.labels(r)] == ["c1", "d1"]


def test_label_stops_below_at_a_merge_and_never_crosses_a_branch_above() -> None:
    g = graph(
        rev("a1"), rev("a2"), rev("m1", ("a1", "a2")), rev("n1", "m1"), rev("n2", "n1", ("x",))
    )
    assert [r for r in g.revisions if "x" in g.labels(r)] == ["n1", "n2"]
    g = graph(rev("a1", labels=("x",)), rev("b1", "a1"), rev("b2", "a1"), rev("z1"))
    assert [r for r in g.revisions if "x" in g.labels(r)] == ["a1", "b1", "b2"]


def test_own_labels_come_before_inherited_ones() -> None:
    g = graph(rev("a1", labels=("base_x",)), rev("b1", "a1", ("own",)))
    assert g.labels("b1") == ("own", "base_x")


def test_depends_on_may_name_a_label_or_a_unique_prefix() -> None:
    g = graph(rev("aaaa1"), rev("bbbb1", labels=("lb",)), rev("c1", "aaaa1", deps=("lb", "bbbb")))
    assert g.dependencies("c1") == ("bbbb1",)


def test_empty_history() -> None:
    g = graph()
    assert g.heads == g.bases == g.real_heads == ()
    assert g.resolve("heads") == g.resolve("head") == g.resolve("base") == ()
    assert g.upgrade_plan([], "heads") == []
    assert g.walk() == []


# ---------------------------------------------------------------------- validation


def test_duplicate_revision_names_both_files() -> None:
    message = error(lambda: graph(rev("a1"), Revision("a1", path="/other/a1.py")), GraphError)
    assert message.startswith("Revision a1 is present more than once")
    assert "/p/versions/a1.py" in message and "/other/a1.py" in message


def test_missing_down_revision() -> None:
    message = error(lambda: graph(rev("a1"), rev("b1", "zz9")), GraphError)
    assert message.startswith("Revision zz9 referenced from b1 (down_revision) is not present")
    assert "/p/versions/b1.py" in message


def test_missing_dependency() -> None:
    message = error(lambda: graph(rev("a1"), rev("b1", "a1", deps=("nope",))), GraphError)
    assert message.startswith("Revision nope referenced from b1 (depends_on) is not present")
    assert "/p/versions/b1.py" in message


def test_cycle() -> None:
    message = error(lambda: graph(rev("r0"), rev("a1", "b1"), rev("b1", "a1")), CycleDetected)
    assert message.startswith("Cycle is detected in revisions (a1, b1)")
    assert "/p/versions/a1.py" in message
    assert error(lambda: graph(rev("a1", "b1"), rev("b1", "a1")), CycleDetected).startswith(
        "Cycle is detected in revisions (a1, b1)"
    )


def test_dependency_cycle() -> None:
    message = error(
        lambda: graph(
            rev("r0"), rev("a1", "r0", deps=("b1",)), rev("b1", "r0", deps=("a1",)), rev("h1", "r0")
        ),
        DependencyCycleDetected,
    )
    assert message.startswith("Dependency cycle is detected in revisions (a1, b1)")
    assert "/p/versions/a1.py" in message


def test_self_loops() -> None:
    message = error(lambda: graph(rev("a1", "a1")), LoopDetected)
    assert message.startswith("Self-loop is detected in revisions (a1)")
    message = error(lambda: graph(rev("a1", deps=("a1",))), LoopDetected)
    assert message.startswith("Dependency self-loop is detected in revisions (a1)")


def test_duplicate_branch_label_uses_alembic_wording() -> None:
    message = error(lambda: graph(rev("r1", labels=("x",)), rev("r2", labels=("x",))), GraphError)
    assert message.startswith("Branch name 'x' in revision r2 already used by revision r1")
    assert "/p/versions/r2.py" in message


def test_branch_label_may_not_be_a_revision_id() -> None:
    message = error(lambda: graph(rev("r1"), rev("r2", "r1", ("r1",))), GraphError)
    assert message.startswith("Branch name 'r1' in revision r2 already used by revision r1")


def test_revision_id_characters() -> None:
    message = error(lambda: check_revision_id("a-b"))
    assert message.startswith("Character(s) '-' not allowed in revision identifier 'a-b'")
    message = error(lambda: check_revision_id("x@y:z"))
    assert message.startswith("Character(s) ':, @' not allowed in revision identifier 'x@y:z'")
    error(lambda: check_revision_id(""))
    check_revision_id("abc_123")
    message = error(lambda: graph(rev("a+b")), GraphError)
    assert message.startswith("/p/versions/a+b.py: Character(s) '+' not allowed")


def test_new_revision_ids_also_fit_the_version_table_unpadded() -> None:
    check_new_revision_id("a" * 32)
    assert "33 characters long" in error(lambda: check_new_revision_id("a" * 33))
    assert "surrounding whitespace" in error(lambda: check_new_revision_id(" abc"))
    assert "not allowed" in error(lambda: check_new_revision_id("a-b"))
    # an existing revision file keeps working with an id a new one may not have
    check_revision_id("a" * 33)
    assert graph(rev("a" * 33)).heads == ("a" * 33,)


# ---------------------------------------------------------------------- resolve


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("aaa111", ("aaa111",)),
        ("a", ("aaa111",)),
        ("aa", ("aaa111",)),
        ("ccc3", ("ccc333",)),
        ("heads", ("ddd444", "sss002")),
        ("base", ()),
        ("side", ("sss001",)),  # a label alone names the revision declaring it
        ("sid", ("sss001",)),  # labels longer than 3 characters match by prefix too
        ("side@head", ("sss002",)),
        ("side@heads", ("sss002",)),
        ("side@base", ()),
        ("side@sss001", ("sss001",)),
        ("side@sss002", ("sss002",)),
        ("bbb222@head", ("ddd444",)),  # a revision id before @ stands for its branch
        ("-1", ("mmm999", "sss001")),
        ("side@-1", ("sss001",)),
    ],
)
def test_resolve(facts: RevisionGraph, identifier: str, expected: tuple[str, ...]) -> None:
    assert facts.resolve(identifier) == expected


def test_minus_two_through_a_merge_is_ambiguous(facts: RevisionGraph) -> None:
    # two below ddd444 is below the merge mmm999: one of two parents
    assert error(lambda: facts.resolve("-2")).startswith("Ambiguous walk")


@pytest.mark.parametrize(
    ("identifier", "argument", "detail"),
    [
        ("ccc", "ccc", "Multiple revisions start with 'ccc': 'ccc111', 'ccc333'..."),
        (
            "zz",
            "zz",
            "No such revision or branch 'zz'; please ensure at least four characters are "
            "present for partial revision identifier matches",
        ),
        ("zzzz", "zzzz", "No such revision or branch 'zzzz'"),
        ("side@aaa111", "aaa111", "Revision aaa111 is not a member of branch 'side'"),
        ("nosuch@head", "nosuch", "No such revision or branch 'nosuch'"),
        ("nosuch@sss001", "nosuch", "No such branch: 'nosuch'"),
        ("ddd444-1", "ddd444-1", "No such revision or branch 'ddd444-1'"),
        ("head-1", "head-1", "No such revision or branch 'head-1'"),
        ("base+1", "base+1", "No such revision or branch 'base+1'"),
        ("heads+1", "heads+1", "No such revision or branch 'heads+1'"),
        ("sss001+1", "sss001+1", "No such revision or branch 'sss001+1'"),
        ("+1", "+1", "No such revision or branch '+1'"),
        ("a:b", "a:b", "No such revision or branch 'a:b'"),
    ],
)
def test_resolve_failures_keep_alembic_wording(
    facts: RevisionGraph, identifier: str, argument: str, detail: str
) -> None:
    message = error(lambda: facts.resolve(identifier))
    # The CLI line Alembic prints, then Alembic's inner reason.
    assert message.startswith(f"Can't locate revision identified by '{argument}': {detail}")


def test_resolve_empty_identifier(facts: RevisionGraph) -> None:
    assert error(lambda: facts.resolve("")).startswith("Can't locate revision identified by ''")


def test_resolve_head_with_two_heads(facts: RevisionGraph) -> None:
    message = error(lambda: facts.resolve("head"), MultipleHeads)
    assert message.startswith(TWO_HEADS)
    assert "ddd444, sss002" in message


def test_head_counts_effective_heads_but_heads_does_not(effective: RevisionGraph) -> None:
    assert effective.resolve("heads") == ("sss003",)
    error(lambda: effective.resolve("head"), MultipleHeads)


def test_short_ids_are_never_prefix_matched() -> None:
    g = graph(rev("abc"), rev("abcd1", "abc"))
    assert g.resolve("abc") == ("abc",)  # exact
    assert g.resolve("ab") == ("abcd1",)  # "abc" has only 3 characters
    assert g.resolve("abcd") == ("abcd1",)


def test_prefix_inside_a_branch_is_narrowed_to_the_branch() -> None:
    g = graph(rev("a1"), rev("ccc111", "a1", ("c1",)), rev("ccc333", "a1"))
    assert g.resolve("c1@ccc") == ("ccc111",)
    assert error(lambda: g.resolve("ccc")).startswith("Can't locate revision identified by 'ccc'")


def test_minus_n_past_base(facts: RevisionGraph) -> None:
    g = graph(rev("a1"), rev("b1", "a1"), rev("z1"))
    assert g.resolve("-1") == ("a1",)  # z1 is a root: one below it is base, nothing
    message = error(lambda: g.resolve("-3"))
    assert "walks below the first revision" in message


def test_resolve_one(facts: RevisionGraph) -> None:
    assert facts.resolve_one("ddd4") == "ddd444"
    assert facts.resolve_one("base") is None
    assert facts.resolve_one("side@head") == "sss002"
    assert error(lambda: facts.resolve_one("head"), MultipleHeads).startswith(TWO_HEADS)
    message = error(lambda: facts.resolve_one("heads"), MultipleHeads)
    assert message.startswith("Multiple head revisions are present for given argument 'heads'")


def test_get_wants_an_exact_id(facts: RevisionGraph) -> None:
    assert error(lambda: facts.get("aaa")).startswith("Can't locate revision identified by 'aaa'")


# ---------------------------------------------------------------------- upgrade


def test_first_upgrade_inserts_then_linear_steps_update(facts: RevisionGraph) -> None:
    assert run(facts.upgrade_plan([], "bbb222")) == [
        ("aaa111", ["INSERT aaa111"]),
        ("bbb222", ["UPDATE aaa111 -> bbb222"]),
    ]


def test_upgrade_plus_two_from_empty(facts: RevisionGraph) -> None:
    main_line = RevisionGraph(FACTS[:6])
    assert [s.revision for s in main_line.upgrade_plan([], "+2")] == ["aaa111", "bbb222"]
    # with sss001 there are two bases to start from
    assert error(lambda: facts.upgrade_plan([], "+2")).startswith("Ambiguous walk")


def test_upgrade_one_side_of_a_branch_point(facts: RevisionGraph) -> None:
    assert run(facts.upgrade_plan(["bbb222"], "ccc111")) == [
        ("ccc111", ["UPDATE bbb222 -> ccc111"])
    ]


def test_upgrade_heads_from_one_branch(facts: RevisionGraph) -> None:
    # The second branch's parent is no longer a row: INSERT; then the merge.
    assert run(facts.upgrade_plan(["ccc111"], "heads")) == [
        ("sss001", ["INSERT sss001"]),
        ("sss002", ["UPDATE sss001 -> sss002"]),
        ("ccc333", ["INSERT ccc333"]),
        ("mmm999", ["DELETE ccc111", "UPDATE ccc333 -> mmm999"]),
        ("ddd444", ["UPDATE mmm999 -> ddd444"]),
    ]


def test_upgrade_through_a_branch_point_and_a_merge(facts: RevisionGraph) -> None:
    # FACTS §3.2: `upgrade ccc111+1` at bbb222 runs ccc333, ccc111, mmm999.
    assert run(facts.upgrade_plan(["bbb222"], "ccc111+1")) == [
        ("ccc333", ["UPDATE bbb222 -> ccc333"]),
        ("ccc111", ["INSERT ccc111"]),
        ("mmm999", ["DELETE ccc111", "UPDATE ccc333 -> mmm999"]),
    ]


def test_upgrade_heads_order_from_bbb222(facts: RevisionGraph) -> None:
    # FACTS §3.2: `upgrade bbb222:heads --sql` ran ccc333, sss001, sss002, ccc111, mmm999, ddd444
    plan = facts.upgrade_plan(["bbb222"], "heads")
    assert [s.revision for s in plan] == [
        "ccc333",
        "sss001",
        "sss002",
        "ccc111",
        "mmm999",
        "ddd444",
    ]
    assert rows_after(["bbb222"], plan) == {"ddd444", "sss002"}


def test_new_root_is_inserted_beside_the_main_row(facts: RevisionGraph) -> None:
    assert run(facts.upgrade_plan(["ccc111"], "sss001")) == [("sss001", ["INSERT sss001"])]


def test_dependency_root_takes_over_the_row_it_depends_on(facts: RevisionGraph) -> None:
    # sss001 depends_on bbb222: from an empty table Alembic UPDATEs bbb222's row.
    assert run(facts.upgrade_plan([], "side@+1")) == [
        ("aaa111", ["INSERT aaa111"]),
        ("bbb222", ["UPDATE aaa111 -> bbb222"]),
        ("sss001", ["UPDATE bbb222 -> sss001"]),
    ]
    assert [s.revision for s in facts.upgrade_plan([], "side@head")][-1] == "sss002"


def test_dependency_merges_the_rows_of_both_branches() -> None:
    g = graph(rev("a1"), rev("b1"), rev("x1", "a1", deps=("b1",)))
    assert run(g.upgrade_plan(["a1", "b1"], "x1")) == [("x1", ["DELETE a1", "UPDATE b1 -> x1"])]


def test_depends_on_an_ancestor_and_another_branch() -> None:
    # Alembic crashes (KeyError): it deletes the row of e1's grandparent, long gone.
    # (Alembic's order here follows string hashing; distill's follows depends_on.)
    g = graph(rev("b0"), rev("b1", "b0"), rev("o1"), rev("e1", "b1", deps=("b0", "o1")))
    assert run(g.upgrade_plan([], "e1")) == [
        ("o1", ["INSERT o1"]),
        ("b0", ["INSERT b0"]),
        ("b1", ["UPDATE b0 -> b1"]),
        ("e1", ["DELETE b1", "UPDATE o1 -> e1"]),
    ]


def test_upgrade_to_an_older_revision_is_a_no_op(facts: RevisionGraph) -> None:
    assert facts.upgrade_plan(["ddd444"], "aaa111") == []
    assert facts.upgrade_plan(["ddd444"], "base") == []


def test_upgrade_relative_to_a_revision_below_base(facts: RevisionGraph) -> None:
    # Alembic asserts on the "base" its walk returns; distill reads it as base.
    assert facts.upgrade_plan([], "aaa111-1") == []


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (["bbb222"], "+1", "Ambiguous walk"),
        (["ddd444", "sss002"], "+1", "Ambiguous upgrade from multiple current revisions"),
        (["aaa111"], "-1", "Relative revision -1 didn't produce 1 migrations"),
        (["ddd444"], "ddd444+1", "Walked too far"),  # Alembic: AssertionError
        (["ddd444"], "zz", "Can't locate revision identified by 'zz'"),
        (["zzz999"], "heads", "Can't locate revision identified by 'zzz999'"),
        (["ddd444"], "side@aaa111", "Can't locate revision identified by 'aaa111'"),
        ([], "head", TWO_HEADS),
        ([], "head-1", TWO_HEADS.replace("'head'", "'head-1'").replace("@head", "@head-1")),
    ],
)
def test_upgrade_errors(
    facts: RevisionGraph, current: list[str], target: str, message: str
) -> None:
    assert error(lambda: facts.upgrade_plan(current, target)).startswith(message)


def test_upgrade_from_rows_on_one_line_of_descent(facts: RevisionGraph) -> None:
    message = error(lambda: facts.upgrade_plan(["aaa111", "bbb222"], "heads"))
    assert message.startswith(
        "Requested revision bbb222 overlaps with other requested revisions aaa111"
    )


def test_upgrade_plus_n_past_the_head() -> None:
    g = graph(rev("a1"), rev("b1", "a1"))
    message = error(lambda: g.upgrade_plan(["a1"], "+3"))
    assert message.startswith("Relative revision +3 didn't produce 3 migrations")
    assert [s.revision for s in g.upgrade_plan(["a1"], "+1")] == ["b1"]


def test_upgrade_range_is_not_allowed(facts: RevisionGraph) -> None:
    assert error(lambda: facts.upgrade_plan([], "aaa111:bbb222"), RangeNotAllowed).startswith(
        "Range revision not allowed"
    )


# ---------------------------------------------------------------------- downgrade


def test_downgrade_out_of_a_merge(facts: RevisionGraph) -> None:
    assert run(facts.downgrade_plan(["mmm999"], "ccc111")) == [
        ("mmm999", ["INSERT ccc111", "UPDATE mmm999 -> ccc333"])
    ]


def test_downgrade_to_before_a_branch_point(facts: RevisionGraph) -> None:
    # FACTS §3.2: `downgrade ccc333-1` at ccc111+ccc333 runs ccc111 down, then ccc333.
    assert run(facts.downgrade_plan(["ccc111", "ccc333"], "ccc333-1")) == [
        ("ccc111", ["DELETE ccc111"]),
        ("ccc333", ["UPDATE ccc333 -> bbb222"]),
    ]


def test_downgrade_to_base_empties_the_table(facts: RevisionGraph) -> None:
    plan = facts.downgrade_plan(["ddd444", "sss002"], "base")
    assert run(plan) == [
        ("ddd444", ["UPDATE ddd444 -> mmm999"]),
        ("mmm999", ["INSERT ccc111", "UPDATE mmm999 -> ccc333"]),
        ("ccc111", ["DELETE ccc111"]),
        ("sss002", ["UPDATE sss002 -> sss001"]),
        ("sss001", ["DELETE sss001"]),
        ("ccc333", ["UPDATE ccc333 -> bbb222"]),
        ("bbb222", ["UPDATE bbb222 -> aaa111"]),
        ("aaa111", ["DELETE aaa111"]),
    ]
    assert rows_after(["ddd444", "sss002"], plan) == set()


def test_downgrade_one_branch_by_label(facts: RevisionGraph) -> None:
    assert run(facts.downgrade_plan(["ddd444", "sss002"], "side@base")) == [
        ("sss002", ["UPDATE sss002 -> sss001"]),
        ("sss001", ["DELETE sss001"]),
    ]
    assert run(facts.downgrade_plan(["ddd444", "sss002"], "side@-1")) == [
        ("sss002", ["UPDATE sss002 -> sss001"])
    ]


def test_downgrade_minus_one_with_several_rows_follows_the_first_row(
    facts: RevisionGraph,
) -> None:
    assert run(facts.downgrade_plan(["ccc111", "ccc333"], "-1")) == [("ccc111", ["DELETE ccc111"])]
    assert run(facts.downgrade_plan(["ccc333", "ccc111"], "-1")) == [("ccc333", ["DELETE ccc333"])]


def test_downgrade_relative_on_a_branch_that_is_not_current() -> None:
    # Alembic asserts here; distill says the branch has no current revision.
    g = graph(rev("a1"), rev("b1", "a1"), rev("x1", labels=("x",)))
    message = error(lambda: g.downgrade_plan(["b1"], "x@-1"))
    assert message.startswith("Relative revision x@-1 is ambiguous")


def test_downgrade_label_at_revision_filters_the_branches() -> None:
    g = graph(rev("a1"), rev("b1", "a1"), rev("c1", "b1", ("c",)), rev("c3", "b1"))
    assert run(g.downgrade_plan(["c1", "c3"], "c@b1")) == [("c1", ["DELETE c1"])]
    assert run(g.downgrade_plan(["c1", "c3"], "b1")) == [
        ("c1", ["DELETE c1"]),
        ("c3", ["UPDATE c3 -> b1"]),
    ]


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (["mmm999"], "-1", "Ambiguous walk"),
        (["aaa111"], "ddd444", "Destination ddd444 is not a valid downgrade target"),
        (["bbb222"], "-5", "Relative revision -5 didn't produce 5 migrations"),
        (["bbb222"], "+1", "Relative revision +1 didn't produce 1 migrations"),
        ([], "-1", "Relative revision -1 didn't produce 1 migrations"),
        (["bbb222"], "aaa111-3", "Walked too far"),
        (["bbb222"], "base-1", "Walked too far"),  # Alembic wraps round to the head
        (["ddd444"], "head", TWO_HEADS),
    ],
)
def test_downgrade_errors(
    facts: RevisionGraph, current: list[str], target: str, message: str
) -> None:
    assert error(lambda: facts.downgrade_plan(current, target)).startswith(message)


def test_downgrade_to_a_revision_plus_n(facts: RevisionGraph) -> None:
    plan = facts.downgrade_plan(["ddd444"], "aaa111+1")  # to bbb222
    assert [s.revision for s in plan] == ["ddd444", "mmm999", "ccc111", "ccc333"]
    assert rows_after(["ddd444"], plan) == {"bbb222"}
    assert error(lambda: facts.downgrade_plan(["ddd444"], "ddd444+1")).startswith("Walked too far")


def test_downgrade_label_that_is_not_on_the_target_branch(facts: RevisionGraph) -> None:
    message = error(lambda: facts.downgrade_plan(["ddd444"], "side@bbb222"))
    assert message.startswith("Not a valid downgrade target from current heads")
    message = error(lambda: facts.downgrade_plan(["ddd444"], "nosuch@base-1"))
    assert message.startswith("Can't locate revision identified by 'nosuch': No such branch")


def test_downgrade_to_heads_needs_a_single_head(facts: RevisionGraph) -> None:
    message = error(lambda: facts.downgrade_plan(["ddd444", "sss002"], "heads"), MultipleHeads)
    assert message.startswith("Multiple head revisions are present for given argument 'heads'")


def test_downgrade_range_is_not_allowed(facts: RevisionGraph) -> None:
    error(lambda: facts.downgrade_plan(["ddd444"], "ddd444:base"), RangeNotAllowed)


def test_downgrade_to_the_current_revision_is_a_no_op(facts: RevisionGraph) -> None:
    assert facts.downgrade_plan(["ddd444"], "ddd444") == []


def test_downgrade_a_dependency_root_gives_back_the_row_it_took() -> None:
    g = graph(rev("a1"), rev("b1"), rev("x1", "a1", deps=("b1",)))
    assert run(g.downgrade_plan(["x1"], "a1")) == [("x1", ["INSERT a1", "UPDATE x1 -> b1"])]


# ---------------------------------------------------------------------- stamp


def test_stamp_heads_from_one_branch(facts: RevisionGraph) -> None:
    assert run(facts.stamp_plan(["ccc111"], ["heads"])) == [
        ("ddd444", ["UPDATE ccc111 -> ddd444"]),
        ("sss002", ["INSERT sss002"]),
    ]


def test_stamp_down_keeps_the_other_branch(facts: RevisionGraph) -> None:
    plan = facts.stamp_plan(["ddd444", "sss002"], ["mmm999"])
    assert run(plan) == [("mmm999", ["UPDATE ddd444 -> mmm999"])]
    assert all(step.kind == "stamp" for step in plan)


def test_stamp_base_deletes_every_row(facts: RevisionGraph) -> None:
    assert run(facts.stamp_plan(["ddd444", "sss002"], ["base"])) == [
        (None, ["DELETE ddd444"]),
        (None, ["DELETE sss002"]),
    ]
    assert run(facts.stamp_plan(["ddd444"], [])) == [(None, ["DELETE ddd444"])]


def test_stamp_with_purge_plans_from_an_empty_table(facts: RevisionGraph) -> None:
    assert run(facts.stamp_plan(["ddd444"], ["ccc111", "ccc333"], purge=True)) == [
        ("ccc111", ["INSERT ccc111"]),
        ("ccc333", ["INSERT ccc333"]),
    ]


def test_stamp_the_current_revision_twice_is_a_no_op(facts: RevisionGraph) -> None:
    assert facts.stamp_plan(["ccc111"], ["ccc111", "ccc111"]) == []


def test_stamp_both_parents_of_the_current_merge(facts: RevisionGraph) -> None:
    # Alembic commits the UPDATE, then crashes with KeyError: 'mmm999'.
    plan = facts.stamp_plan(["mmm999"], ["ccc111", "ccc333"])
    assert run(plan) == [
        ("ccc111", ["UPDATE mmm999 -> ccc111"]),
        ("ccc333", ["INSERT ccc333"]),
    ]
    assert rows_after(["mmm999"], plan) == {"ccc111", "ccc333"}


def test_stamp_two_branches_moves_each_branch_row_only() -> None:
    # Alembic folds the r1 row into c2 and ends with only c2; distill keeps r1.
    g = graph(rev("a0"), rev("p1", "a0"), rev("r1", "p1"), rev("c1", "a0"), rev("c2", "c1"))
    plan = g.stamp_plan(["r1", "c1"], ["c2", "r1"])
    assert run(plan) == [("c2", ["UPDATE c1 -> c2"])]
    assert rows_after(["r1", "c1"], plan) == {"r1", "c2"}


def test_stamp_errors(facts: RevisionGraph) -> None:
    message = error(lambda: facts.stamp_plan([], ["head"]), MultipleHeads)
    assert message.startswith("Multiple heads are present; please specify a single target revision")
    message = error(lambda: facts.stamp_plan(["ddd444"], ["zz"]))
    assert message.startswith("Can't locate revision identified by 'zz'")
    message = error(lambda: graph(rev("a1")).stamp_plan([], ["-3"]))
    assert "walks below the first revision" in message


# ---------------------------------------------------------------------- history


def test_full_history_order(facts: RevisionGraph) -> None:
    # FACTS §2 history, newest first
    assert facts.walk() == [
        "ddd444", "mmm999", "ccc111", "sss002", "sss001", "ccc333", "bbb222", "aaa111",
    ]  # fmt: skip


def test_history_ranges(facts: RevisionGraph) -> None:
    assert facts.walk("ccc111") == ["ccc111", "bbb222", "aaa111"]  # -r :ccc111
    assert facts.walk("mmm999", "aaa111") == ["mmm999", "ccc111", "ccc333", "bbb222", "aaa111"]
    assert facts.walk("heads", "mmm999") == ["ddd444", "mmm999"]  # -r mmm999:
    assert facts.walk("ddd444-1") == ["mmm999", "ccc111", "ccc333", "bbb222", "aaa111"]
    assert facts.walk("heads", "side@base") == ["sss002", "sss001", "bbb222", "aaa111"]
    assert facts.walk(("ccc111", "ccc333")) == ["ccc111", "ccc333", "bbb222", "aaa111"]
    assert facts.walk("heads", ("ddd444",)) == ["ddd444"]


def test_history_range_not_on_one_branch(facts: RevisionGraph) -> None:
    message = error(lambda: facts.walk("ccc333", "ccc111"))
    assert message.startswith(
        "Requested range ccc111:ccc333 does not refer to ancestor/descendant revisions "
        "along the same branch"
    )


def test_history_minus_two_through_a_merge_is_ambiguous(facts: RevisionGraph) -> None:
    assert error(lambda: facts.walk("heads", "-2")).startswith("Ambiguous walk")


def test_history_from_a_revision_with_a_dependent_second_branch(
    effective: RevisionGraph,
) -> None:
    # FACTS §13: Alembic's topological sort asserts here.
    assert effective.walk("heads", "mmm999") == ["ddd444", "mmm999"]


def test_history_minus_n_that_reaches_base_includes_that_branch() -> None:
    # Alembic refuses the range (it compares the string "base" with revisions).
    g = graph(rev("a1"), rev("b1", "a1"), rev("c1", "b1"), rev("z1"))
    assert g.walk("heads", "-1") == ["c1", "b1", "z1"]


def test_history_minus_n_past_base_counts_from_the_upper_bound() -> None:
    # When `-N` walks past base from the first head, Alembic counts from the upper bound.
    g = graph(rev("z1"), rev("a1"), rev("b1", "a1"), rev("c1", "b1"))
    assert g.walk("c1", "-2") == ["c1", "b1", "a1"]


def test_history_minus_n_past_base_with_an_empty_upper_bound() -> None:
    # Alembic's retry fails on "x@base" as a revision; distill shows nothing, like x@base.
    g = graph(rev("a1", labels=("x",)))
    assert g.walk("x@base", "-2") == []


def test_history_named_branch_as_lower_bound() -> None:
    g = graph(rev("a1"), rev("b1", "a1", ("x",)), rev("c1", "a1"))
    assert g.walk("heads", "x@base") == ["b1", "a1"]
    assert g.walk("heads", "b1@base") == ["b1", "a1"]  # b1 stands for its label x
    # c1 has no label: Alembic asserts; distill takes c1's line of descent.
    assert g.walk("heads", "c1@base") == ["c1", "a1"]


# ---------------------------------------------------------------------- current


def test_current_heads(facts: RevisionGraph, effective: RevisionGraph) -> None:
    assert facts.current_heads(["ccc111", "ccc333"]) == ("ccc111", "ccc333")
    # a row whose dependency was folded into it: `current` lists both tips
    assert effective.current_heads(["sss003"]) == ("ddd444", "sss003")
    assert facts.current_heads([]) == ()
    assert error(lambda: facts.current_heads(["nope"])).startswith(
        "Can't locate revision identified by 'nope'"
    )
