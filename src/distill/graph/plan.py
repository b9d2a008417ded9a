"""Planning: the ordered steps of an upgrade, downgrade or stamp, and history walks.

Plan order and version-row changes follow Alembic 1.20.1. Where Alembic's result
depends on the iteration order of a Python set (string hashing is randomised per
process), distill uses declaration order: input order for revisions, the written order
for `down_revision` and `depends_on`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from distill.errors import DistillError, RangeNotAllowed, ResolutionError
from distill.graph.model import RevisionMap, Step, as_tuple, dedupe, reach, show
from distill.graph.resolve import HeadsError, Mark, Resolver, multiple_heads


class Planner:
    """Plans over one RevisionMap, its identifiers read by a Resolver."""

    def __init__(self, revision_map: RevisionMap, resolver: Resolver) -> None:
        self._map = revision_map
        self._resolver = resolver

    # ------------------------------------------------------------------ ordering

    def _ancestors_of(self, rev_id: str) -> set[str]:
        return reach([rev_id], self._map.ndown)

    def _check_overlap(self, revs: Sequence[str], upward: bool) -> None:
        uniq = dedupe(revs)
        if len(uniq) < 2:
            return
        edges = self._map.up if upward else self._map.ndown
        for rev in uniq:
            reached = reach(edges[rev], edges)
            others = [o for o in uniq if o != rev and o in reached]
            if others:
                raise ResolutionError(
                    f"Requested revision {rev} overlaps with other requested revisions "
                    f"{', '.join(others)}; {rev} and {others[0]} lie on the same branch, "
                    "name only one of them",
                    rev,
                )

    def _topological(self, todo_in: Iterable[str], heads: Sequence[str]) -> list[str]:
        """Newest first, walking each head down as far as nothing else still needs it.

        Same traversal as Alembic's: heads in input order; a head waits while another
        head's ancestry contains it.
        """
        todo = set(todo_in)
        current = sorted({h for h in heads if h in todo}, key=self._map.index.__getitem__)
        # Revisions no head reaches: Alembic asserts; starting from them gives the answer.
        has_child = {d for r in todo for d in self._map.ndown[r]}
        extra = [r for r in todo if r not in has_child and r not in current]
        if extra:
            current = sorted({*current, *extra}, key=self._map.index.__getitem__)
        ancestry = [self._ancestors_of(h) for h in current]
        out: list[str] = []
        idx = 0
        while current:
            candidate = current[idx]
            waiting = next(
                (j for j, anc in enumerate(ancestry) if j != idx and candidate in anc), None
            )
            if waiting is not None:
                idx = waiting
                continue
            out.append(candidate)
            todo.discard(candidate)
            below = [r for r in self._map.ndown[candidate] if r in todo and r not in current]
            if not below:
                del current[idx]
                del ancestry[idx]
                idx = max(idx - 1, 0)
            elif len(self._map.ndown[candidate]) == 1:
                current[idx] = below[0]
                ancestry[idx].discard(candidate)
            else:
                current[idx] = below[0]
                ancestry[idx] = self._ancestors_of(below[0])
                current.extend(below[1:])
                ancestry.extend(self._ancestors_of(r) for r in below[1:])
        return out

    # ------------------------------------------------------------------ upgrade
    def _collect_upgrade(
        self,
        upper: str | Sequence[str],
        lower: str | Sequence[str],
        *,
        inclusive: bool,
        implicit_base: bool,
        no_overwalk: bool,
    ) -> tuple[set[str], list[str]]:
        targets: list[str] = []
        for pos in self._resolver.parse_upgrade_target(lower, upper, no_overwalk):
            if pos is None:
                raise ResolutionError(
                    f"Walked too far: {show(upper)} goes beyond the ends of the history",
                    show(upper),
                )
            if isinstance(pos, str):
                targets.append(pos)
        if isinstance(lower, str) and "@" in lower:
            targets = self._resolver.on_named_branch(targets, lower.partition("@")[0])
        self._check_overlap(targets, upward=False)
        required = reach(targets, self._map.ndown)

        whole_branches: list[str] = []
        if implicit_base:
            current = [p for p in self._resolver.get_revisions(lower) if isinstance(p, str)]
        else:
            current, whole_branches = self._lower_bound(upper, lower, required)
        self._check_overlap(current, upward=False)
        needs = required - reach(current, self._map.ndown)
        if inclusive:
            needs.update(current)
        if current and not implicit_base:
            self._check_overlap(current, upward=True)
            allowed = reach(current, self._map.up)
            allowed |= reach(whole_branches, self._map.down)
            needs &= allowed
        return needs, targets

    def _lower_bound(
        self, upper: str | Sequence[str], lower: str | Sequence[str], required: set[str]
    ) -> tuple[list[str], list[str]]:
        """The revisions a history range starts at, and heads whose whole branch is in."""
        found = self._resolver.get_revisions(lower)
        for pos in found:
            if isinstance(pos, str) and pos not in required:
                raise ResolutionError(
                    f"Requested range {show(lower)}:{show(upper)} does not refer to "
                    "ancestor/descendant revisions along the same branch; put the older "
                    "revision on the left of ':'",
                    pos,
                )
        if found and found[0] is None and isinstance(lower, str):
            # When `-N` walks past base from the first head, Alembic reads it relative
            # to the upper bound instead.
            try:
                _, start = self._resolver.parse_downgrade_target(as_tuple(upper), lower, False)
            except DistillError:
                pass  # Alembic fails here; stop each walk at base instead
            else:
                return ([start] if start is not None else []), []
        # Where a `-N` walk reaches or passes base, that head's branch is in whole
        # (Alembic compares the string "base" with revisions and refuses the range).
        ids, label = self._resolver.resolve_number(lower) if isinstance(lower, str) else ((), None)
        relative = len(ids) == 1 and _negative_int(ids[0])
        heads = self._resolver.real_heads_on(label)
        current: list[str] = []
        whole: list[str] = []
        for i, pos in enumerate(self._resolver.get_revisions(lower, clamp=True)):
            if isinstance(pos, str):
                current.append(pos)
            elif pos is Mark.BASE and relative:
                whole.append(heads[i])
        return current, whole

    def upgrade_plan(self, current: Sequence[str], target: str) -> list[Step]:
        """Steps that take the version rows `current` up to `target`, in run order."""
        rows = self._map.check_rows(current)
        if ":" in target:
            raise RangeNotAllowed(
                f"Range revision not allowed: '{target}'; a start:end range needs --sql",
                target,
            )
        try:
            needs, targets = self._collect_upgrade(
                target, rows, inclusive=False, implicit_base=True, no_overwalk=True
            )
        except HeadsError as error:
            raise multiple_heads(target, error.heads) from None
        order = list(reversed(self._topological(needs, targets)))
        state = set(rows)
        return [self._upgrade_step(state, rev) for rev in order]

    def _upgrade_step(self, rows: set[str], rev: str) -> Step:
        downs = self._map.ndown[rev]
        present = [d for d in downs if d in rows]
        if not present:
            removes: tuple[str, ...] = ()
        elif len(present) > 1:
            keep = self._found_below(rows - set(downs), downs)
            merged = [d for d in downs if d not in keep and d in rows]
            removes = tuple(merged or present)
        else:
            removes = (present[0],)
        return _apply(rows, Step("upgrade", rev, removes, (rev,)))

    def _found_below(self, starts: Iterable[str], targets: Sequence[str]) -> set[str]:
        """Which `targets` are ancestors of (or among) `starts`, dependencies included."""
        wanted = set(targets)
        # An ancestor sits on a lower level: never walk below the lowest target.
        floor = min(self._map.level[t] for t in wanted)
        found: set[str] = set()
        seen: set[str] = set()
        todo = [s for s in starts if self._map.level[s] >= floor]
        while todo and found != wanted:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in wanted:
                found.add(node)
            todo.extend(p for p in self._map.ndown[node] if self._map.level[p] >= floor)
        return found

    # ------------------------------------------------------------------ downgrade

    def _collect_downgrade(self, rows: Sequence[str], target: str) -> tuple[set[str], list[str]]:
        label, destination = self._resolver.parse_downgrade_target(rows, target)
        if destination is None:
            roots = [r for r in self._map.revisions if not self._map.down[r]]
        else:
            roots = list(self._map.up[destination])
        if label and len(roots) > 1:
            branch = reach([self._resolver.resolve_branch(label)], self._map.down)
            roots = [r for r in roots if r in branch]
            if not roots:
                raise ResolutionError(
                    f"Not a valid downgrade target from current heads: {target} does not lie "
                    f"on branch '{label}'",
                    target,
                )
        heads = list(rows)
        drop = reach(roots, self._map.all_up) & reach(heads, self._map.ndown)
        if destination is not None and not drop and destination not in heads:
            raise ResolutionError(
                f"Destination {target} is not a valid downgrade target from current head(s) "
                f"({', '.join(rows) or 'empty'}); it is not below them",
                target,
            )
        return drop, heads

    def downgrade_plan(self, current: Sequence[str], target: str) -> list[Step]:
        """Steps that take the version rows `current` down to `target`, in run order."""
        rows = self._map.check_rows(current)
        if ":" in target:
            raise RangeNotAllowed(
                f"Range revision not allowed: '{target}'; a start:end range needs --sql",
                target,
            )
        try:
            drop, heads = self._collect_downgrade(rows, target)
        except HeadsError as error:
            raise multiple_heads(target, error.heads) from None
        order = self._topological(drop, heads)
        state = set(rows)
        return [self._downgrade_step(state, rev) for rev in order]

    def _downgrade_step(self, rows: set[str], rev: str) -> Step:
        downs = self._map.ndown[rev]
        if rev not in rows:
            # Unreachable from consistent rows (Alembic raises KeyError): leave rows alone.
            return Step("downgrade", rev, (), ())
        if not downs:
            return _apply(rows, Step("downgrade", rev, (rev,), ()))
        others = rows - {rev}
        if others:
            covered = self._found_below(others, downs)
        else:
            # A parent below another parent comes back with it (only merges have two).
            covered = set()
            for d in downs if len(downs) > 1 else ():
                covered |= self._found_below([p for p in downs if p != d], [d])
        restore = tuple(d for d in downs if d not in covered)
        return _apply(rows, Step("downgrade", rev, (rev,), restore))

    # ------------------------------------------------------------------ stamp

    def stamp_plan(
        self, current: Sequence[str], targets: Sequence[str], purge: bool = False
    ) -> list[Step]:
        """Version-row changes that make the table say `targets` without running code."""
        rows = [] if purge else list(self._map.check_rows(current))
        wanted = tuple(targets) or ("base",)
        try:
            return self._stamp(rows, wanted)
        except HeadsError as error:
            raise HeadsError(
                "Multiple heads are present; please specify a single target revision "
                f"(heads: {', '.join(error.heads)})",
                error.argument,
                error.heads,
            ) from None

    def _stamp(self, rows: list[str], wanted: tuple[str, ...]) -> list[Step]:
        # The rows a stamp may move: those sharing a line of descent with a target.
        related: list[str] = []
        for target in wanted:
            if target:
                on_line = self._resolver.filter_for_lineage(rows, target, include_dependencies=True)
                for row in on_line:
                    if row not in related:
                        related.append(row)
        destinations: list[str | None] = []
        for pos in self._resolver.get_revisions(wanted):
            if pos is None:
                raise ResolutionError(
                    f"Relative revision in {', '.join(wanted)} walks below the first "
                    "revision; use a smaller step count",
                    ", ".join(wanted),
                )
            destinations.append(pos if isinstance(pos, str) else None)
        state = set(rows)
        steps: list[Step] = []
        for dest in destinations or [None]:
            if dest is None:
                for row in related:
                    if row in state:
                        steps.append(_apply(state, Step("stamp", None, (row,), ())))
                continue
            if dest in related or dest in state:
                continue
            # Alembic moves every related row, even those of another target's branch
            # (and then fails or drops that branch); distill replaces the rows still
            # present on this destination's line of descent, up or down.
            lineage = reach([dest], self._map.all_up) | self._ancestors_of(dest)
            live = tuple(r for r in related if r in lineage and r in state)
            steps.append(_apply(state, Step("stamp", dest, live, (dest,))))
        return steps

    # ------------------------------------------------------------------ history

    def walk(
        self, upper: str | Sequence[str] = "heads", lower: str | Sequence[str] = "base"
    ) -> list[str]:
        """Revisions from `lower` up to `upper`, both inclusive, newest first (history -r)."""
        if not isinstance(upper, str):
            upper = self._map.check_rows(upper)
        if not isinstance(lower, str):
            lower = self._map.check_rows(lower)
        needs, targets = self._collect_upgrade(
            upper, lower, inclusive=True, implicit_base=False, no_overwalk=False
        )
        return self._topological(needs, targets)


def _negative_int(text: str) -> bool:
    try:
        return int(text) < 0
    except ValueError:
        return False


def _apply(rows: set[str], step: Step) -> Step:
    rows.difference_update(step.removes)
    rows.update(step.adds)
    return step
