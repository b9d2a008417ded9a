"""The revision DAG: pure data in, plain data out (no I/O, no SQLAlchemy).

Head order, identifier forms, plan order and version-row changes follow Alembic 1.20.1
(see ALEMBIC-FACTS.md). Where Alembic's result depends on the iteration order of a
Python set (string hashing is randomised per process), distill uses declaration order:
input order for revisions, the written order for `down_revision` and `depends_on`.
The input order of the revisions matters: it must be the order Alembic loads files in
(version locations in order, file names sorted).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

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

ILLEGAL_REVISION_CHARS = "@-+:"

# `[label@][symbol](+|-)N`, matched at the start of the argument as Alembic does (§3.2).
_RELATIVE = re.compile(r"(?:(.+?)@)?(\w+)?([+-]\d+)")

_HISTORY_HINT = "run `distill history` to list the revisions"


@dataclass(frozen=True)
class Revision:
    """One revision as its file's header declares it."""

    revision: str
    down_revisions: tuple[str, ...] = ()
    branch_labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()  # as written: full ids, unique prefixes or labels
    doc: str = ""  # the module docstring
    path: str = ""


StepKind = Literal["upgrade", "downgrade", "stamp"]


@dataclass(frozen=True)
class Step:
    """One unit of a plan: run a revision's upgrade()/downgrade() (or only stamp),
    then replace the version rows `removes` with `adds`.

    Version-table SQL for a step: DELETE removes[:-1], INSERT adds[:-1], then
    UPDATE removes[-1] -> adds[-1]; a lone remove is a DELETE, a lone add an INSERT.
    """

    kind: StepKind
    revision: str | None  # None only for stamp steps to/from base
    removes: tuple[str, ...]
    adds: tuple[str, ...]


class _Mark(enum.Enum):
    """Where a relative walk ended when it did not end on a revision."""

    BASE = "base"  # exactly one step below a root


# A position in the graph: a revision id, None for "base / nothing", or a walk mark.
_Pos = str | None | _Mark


def check_revision_id(rev_id: str) -> None:
    """Raise ResolutionError if `rev_id` cannot be a revision id (empty, or `@ - + :`)."""
    bad = sorted(set(rev_id) & set(ILLEGAL_REVISION_CHARS))
    if bad:
        raise ResolutionError(
            f"Character(s) '{', '.join(bad)}' not allowed in revision identifier "
            f"'{rev_id}'; revision ids may use letters, digits and '_'",
            rev_id,
        )
    if not rev_id:
        raise ResolutionError("A revision identifier may not be empty", rev_id)


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _as_tuple(value: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _show(value: str | Sequence[str]) -> str:
    return value if isinstance(value, str) else ", ".join(value)


def _not_found(argument: str, detail: str) -> ResolutionError:
    """Alembic's CLI wording first, then the precise reason."""
    return ResolutionError(f"Can't locate revision identified by '{argument}': {detail}", argument)


class _HeadsError(MultipleHeads):
    """MultipleHeads that keeps the heads, so a caller can reword the message."""

    def __init__(self, message: str, argument: str, heads: Sequence[str]) -> None:
        super().__init__(message, argument)
        self.heads = tuple(heads)


def _multiple_heads(argument: str, heads: Sequence[str]) -> _HeadsError:
    return _HeadsError(
        f"Multiple head revisions are present for given argument '{argument}'; please "
        f"specify a specific target revision, '<branchname>@{argument}' to narrow to a "
        f"specific head, or 'heads' for all heads (heads: {', '.join(heads)})",
        argument,
        heads,
    )


class RevisionGraph:
    """All revisions of a project, validated, with identifier resolution and plans."""

    def __init__(self, revisions: Iterable[Revision]) -> None:
        revs: dict[str, Revision] = {}
        for rev in revisions:
            _check_own_header(rev)
            first = revs.get(rev.revision)
            if first is not None:
                raise GraphError(
                    f"Revision {rev.revision} is present more than once: {first.path} and "
                    f"{rev.path}; give one of them a new revision id"
                )
            revs[rev.revision] = rev
        self._revs = revs
        self.revisions: Mapping[str, Revision] = MappingProxyType(revs)
        self._index = {rev_id: i for i, rev_id in enumerate(revs)}
        self._label_owner = self._map_labels()
        # Lookup keys in Alembic's map order: revision ids, then branch labels.
        self._keys = (*revs, *self._label_owner)

        self._down = {r: _dedupe(rev.down_revisions) for r, rev in revs.items()}
        self._deps = {r: self._resolve_dependencies(rev) for r, rev in revs.items()}
        self._check_down_revisions_exist()

        children: dict[str, list[str]] = {r: [] for r in revs}
        all_children: dict[str, list[str]] = {r: [] for r in revs}
        for r in revs:
            for parent in self._down[r]:
                children[parent].append(r)
            for parent in _dedupe((*self._down[r], *self._deps[r])):
                all_children[parent].append(r)
        self._children = {r: tuple(c) for r, c in children.items()}
        self._all_children = {r: tuple(c) for r, c in all_children.items()}
        self._all_down = {r: _dedupe((*self._down[r], *self._deps[r])) for r in revs}
        self._check_cycles()

        self._ndown = self._normalized_down_revisions()
        self._level = self._levels()
        self.heads: tuple[str, ...] = tuple(r for r in revs if not self._children[r])
        self.real_heads: tuple[str, ...] = tuple(r for r in revs if not self._all_children[r])
        self.bases: tuple[str, ...] = tuple(r for r in revs if not self._down[r])
        self.real_bases: tuple[str, ...] = tuple(
            r for r in revs if not self._down[r] and not revs[r].depends_on
        )
        self._labels = self._propagate_labels()

    # ------------------------------------------------------------------ building

    def _map_labels(self) -> dict[str, str]:
        owners: dict[str, str] = {}
        for rev in self._revs.values():
            for label in rev.branch_labels:
                owner = label if label in self._revs else owners.get(label)
                if owner is not None:
                    raise GraphError(
                        f"Branch name '{label}' in revision {rev.revision} already used by "
                        f"revision {owner} ({rev.path}); branch labels must be unique and "
                        "differ from every revision id"
                    )
                owners[label] = rev.revision
        return owners

    def _resolve_dependencies(self, rev: Revision) -> tuple[str, ...]:
        resolved = []
        for dep in rev.depends_on:
            if dep in self._revs:
                resolved.append(dep)
            elif dep in self._label_owner:
                resolved.append(self._label_owner[dep])
            else:
                matches = [r for r in self._revs if len(r) > 3 and r.startswith(dep)]
                if len(matches) != 1:
                    raise GraphError(
                        f"Revision {dep} referenced from {rev.revision} (depends_on) is not "
                        f"present ({rev.path}); depends_on must name an existing revision id "
                        "or branch label"
                    )
                resolved.append(matches[0])
        return _dedupe(resolved)

    def _check_down_revisions_exist(self) -> None:
        for rev_id, downs in self._down.items():
            for down in downs:
                if down not in self._revs:
                    raise GraphError(
                        f"Revision {down} referenced from {rev_id} (down_revision) is not "
                        f"present ({self._revs[rev_id].path}); fix down_revision or restore "
                        f"the missing revision file"
                    )

    def _check_cycles(self) -> None:
        if not self._revs:
            return
        # A revision is sound when it lies on a path from a base up to a head.
        heads = [r for r in self._revs if not self._children[r]]
        bases = [r for r in self._revs if not self._down[r]]
        sound = self._reach(heads, self._down) & self._reach(bases, self._children)
        broken = sorted(set(self._revs) - sound)
        if broken:
            raise CycleDetected(
                f"Cycle is detected in revisions ({', '.join(broken)}); down_revision links "
                f"loop back on themselves in: {self._paths(broken)}"
            )
        real_heads = [r for r in self._revs if not self._all_children[r]]
        real_bases = [r for r in bases if not self._revs[r].depends_on]
        sound = self._reach(real_heads, self._all_down) & self._reach(
            real_bases, self._all_children
        )
        broken = sorted(set(self._revs) - sound)
        if broken:
            raise DependencyCycleDetected(
                f"Dependency cycle is detected in revisions ({', '.join(broken)}); "
                f"down_revision and depends_on links loop in: {self._paths(broken)}"
            )

    def _paths(self, rev_ids: Iterable[str]) -> str:
        return ", ".join(self._revs[r].path or r for r in rev_ids)

    def _normalized_down_revisions(self) -> dict[str, tuple[str, ...]]:
        """down_revisions plus the dependencies no versioned ancestor already declares."""
        inherited: dict[str, frozenset[str]] = {}
        empty: frozenset[str] = frozenset()
        for r in self._versioned_order():
            parents = self._down[r]
            if len(parents) == 1 and not self._deps[parents[0]]:
                inherited[r] = inherited[parents[0]]  # share the set along plain chains
            else:
                acc: set[str] = set()
                for p in parents:
                    acc.update(inherited[p])
                    acc.update(self._deps[p])
                inherited[r] = frozenset(acc) if acc else empty
        return {
            r: _dedupe((*self._down[r], *(d for d in self._deps[r] if d not in inherited[r])))
            for r in self._revs
        }

    def _levels(self) -> dict[str, int]:
        """Longest distance from a base over parents and dependencies."""
        level: dict[str, int] = {}
        pending = {r: len(self._all_down[r]) for r in self._revs}
        ready = [r for r in self._revs if not pending[r]]
        while ready:
            r = ready.pop()
            level[r] = 1 + max((level[p] for p in self._all_down[r]), default=-1)
            for child in self._all_children[r]:
                pending[child] -= 1
                if not pending[child]:
                    ready.append(child)
        return level

    def _versioned_order(self) -> list[str]:
        """Revision ids, parents before children (down_revision links only)."""
        pending = {r: len(self._down[r]) for r in self._revs}
        ready = [r for r in self._revs if not pending[r]]
        order: list[str] = []
        while ready:
            r = ready.pop()
            order.append(r)
            for child in self._children[r]:
                pending[child] -= 1
                if not pending[child]:
                    ready.append(child)
        return order

    def _propagate_labels(self) -> dict[str, tuple[str, ...]]:
        # Alembic gives a label to every descendant of the labelled revision and, when
        # that part of the history is a plain chain, also to its ancestors down to the
        # nearest branch point or merge point.
        found: dict[str, list[str]] = {r: [] for r in self._revs}
        for rev_id, rev in self._revs.items():
            if not rev.branch_labels:
                continue
            above = self._reach([rev_id], self._children)
            for node in above:
                found[node].extend(rev.branch_labels)
            if any(self._stops_label_walk(node) for node in above):
                continue
            below = self._down[rev_id]
            while below and not self._stops_label_walk(below[0]):
                found[below[0]].extend(rev.branch_labels)
                below = self._down[below[0]]
        return {r: _dedupe((*self._revs[r].branch_labels, *found[r])) for r in self._revs}

    def _stops_label_walk(self, rev_id: str) -> bool:
        return len(self._all_children[rev_id]) > 1 or len(self._down[rev_id]) > 1

    @staticmethod
    def _reach(starts: Iterable[str], edges: Mapping[str, Sequence[str]]) -> set[str]:
        seen: set[str] = set()
        todo = list(starts)
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            todo.extend(edges[node])
        return seen

    # ------------------------------------------------------------------ structure

    def get(self, rev_id: str) -> Revision:
        """The revision with exactly this id."""
        try:
            return self._revs[rev_id]
        except KeyError:
            raise _not_found(
                rev_id, f"no revision has the id '{rev_id}'; {_HISTORY_HINT}"
            ) from None

    def __contains__(self, rev_id: object) -> bool:
        return rev_id in self._revs

    def __len__(self) -> int:
        return len(self._revs)

    def parents(self, rev: str) -> tuple[str, ...]:
        """The revision's down_revisions."""
        return self._down[self.get(rev).revision]

    def normalized_parents(self, rev: str) -> tuple[str, ...]:
        """down_revisions plus the dependencies no versioned ancestor already declares:
        what Alembic treats as the revisions a step goes from (upgrade) or back to."""
        return self._ndown[self.get(rev).revision]

    def children(self, rev: str) -> tuple[str, ...]:
        """Revisions naming `rev` in their down_revision, in input order."""
        return self._children[self.get(rev).revision]

    def dependencies(self, rev: str) -> tuple[str, ...]:
        """depends_on of `rev` resolved to full revision ids."""
        return self._deps[self.get(rev).revision]

    def labels(self, rev: str) -> tuple[str, ...]:
        """Branch labels Alembic shows for `rev`: its own, then those it inherits."""
        return self._labels[self.get(rev).revision]

    def is_head(self, rev: str) -> bool:
        """No revision names `rev` in down_revision (Alembic's `is_head`; `Rev: x (head)`)."""
        return not self._children[self.get(rev).revision]

    def is_real_head(self, rev: str) -> bool:
        """Nothing names `rev` in down_revision or depends_on (short form `(head)`)."""
        return not self._all_children[self.get(rev).revision]

    def is_effective_head(self, rev: str) -> bool:
        """A head only some depends_on points at (short form `(effective head)`)."""
        return self.is_head(rev) and not self.is_real_head(rev)

    def is_base(self, rev: str) -> bool:
        """`rev` has no down_revision."""
        return not self._down[self.get(rev).revision]

    def is_branch_point(self, rev: str) -> bool:
        """More than one revision names `rev` in down_revision."""
        return len(self._children[self.get(rev).revision]) > 1

    def is_merge_point(self, rev: str) -> bool:
        """`rev` has more than one down_revision."""
        return len(self._down[self.get(rev).revision]) > 1

    def ancestors(self, revs: Iterable[str], include_dependencies: bool = True) -> frozenset[str]:
        """`revs` and everything below them."""
        edges = self._ndown if include_dependencies else self._down
        return frozenset(self._reach([self.get(r).revision for r in revs], edges))

    def descendants(self, revs: Iterable[str], include_dependencies: bool = True) -> frozenset[str]:
        """`revs` and everything above them."""
        edges = self._all_children if include_dependencies else self._children
        return frozenset(self._reach([self.get(r).revision for r in revs], edges))

    def current_heads(self, rows: Sequence[str]) -> tuple[str, ...]:
        """What `current` lists for these version rows: each branch's tip, dependencies
        included, in input order."""
        return tuple(sorted(self._all_current(self._check_rows(rows)), key=self._index.__getitem__))

    # ------------------------------------------------------------------ resolution

    def resolve(self, identifier: str) -> tuple[str, ...]:
        """The revisions an identifier names (`show`, `stamp`, `merge`, `--head`)."""
        found: list[str] = []
        for pos in self._get_revisions(identifier):
            if pos is None:
                raise ResolutionError(
                    f"Relative revision {identifier} walks below the first revision; use a "
                    "smaller step count",
                    identifier,
                )
            if isinstance(pos, str):
                found.append(pos)
        return _dedupe(found)

    def resolve_one(self, identifier: str) -> str | None:
        """The single revision an identifier names, None for base."""
        found = self.resolve(identifier)
        if len(found) > 1:
            raise _multiple_heads(identifier, found)
        return found[0] if found else None

    def _lookup(self, key: str) -> str:
        """Exact revision id or branch label, else a unique prefix (keys over 3 chars)."""
        if key in self._revs:
            return key
        if key in self._label_owner:
            return self._label_owner[key]
        return self._key_owner(self._unique_prefix(key, self._prefix_matches(key)))

    def _prefix_matches(self, key: str) -> list[str]:
        if not key:
            return []
        return [k for k in self._keys if len(k) > 3 and k.startswith(key)]

    def _unique_prefix(self, key: str, matches: Sequence[str]) -> str:
        if not matches:
            hint = (
                "; please ensure at least four characters are present for partial "
                "revision identifier matches"
                if len(key) < 4
                else ""
            )
            raise _not_found(key, f"No such revision or branch '{key}'{hint}")
        if len(matches) > 1:
            listed = ", ".join(f"'{m}'" for m in matches[:3])
            raise _not_found(
                key, f"Multiple revisions start with '{key}': {listed}...; type more characters"
            )
        return matches[0]

    def _key_owner(self, key: str) -> str:
        return key if key in self._revs else self._label_owner[key]

    def _resolve_branch(self, branch: str) -> str:
        try:
            return self._lookup(branch)
        except ResolutionError:
            raise _not_found(
                branch,
                f"No such branch: '{branch}'; name a branch label or a revision on the branch",
            ) from None

    def _in_branch(self, key: str, branch: str | None) -> str | None:
        """Alembic's lookup of `key`, checked to lie on `branch` when one is given."""
        branch_rev = self._resolve_branch(branch) if branch else None
        if key in self._revs or key in self._label_owner:
            found = self._key_owner(key)
        else:
            matches = self._prefix_matches(key)
            if branch_rev is not None:
                lineage = self._lineage([branch_rev], include_dependencies=False)
                matches = [m for m in matches if self._key_owner(m) in lineage]
            found = self._key_owner(self._unique_prefix(key, matches))
        if branch_rev is not None and found not in self._lineage(
            [branch_rev], include_dependencies=False
        ):
            raise _not_found(
                key,
                f"Revision {found} is not a member of branch '{branch}'; pick a revision "
                f"above or below {branch_rev}",
            )
        return found

    def _lineage(self, revs: Iterable[str], include_dependencies: bool) -> set[str]:
        """Everything sharing a line of descent with `revs`: ancestors and descendants."""
        revs = list(revs)
        up = self._all_children if include_dependencies else self._children
        down = self._ndown if include_dependencies else self._down
        return self._reach(revs, up) | self._reach(revs, down)

    def _filter_for_lineage(
        self, targets: Sequence[str], check_against: str, include_dependencies: bool = False
    ) -> list[str]:
        ids, label = self._resolve_number(check_against)
        shares = ([label] if label else []) + list(ids)
        if not shares or not targets:
            return list(targets)
        lineage = self._lineage(
            [self._lookup(s) for s in shares], include_dependencies=include_dependencies
        )
        return [t for t in targets if t in lineage]

    def _current_head(self, label: str | None) -> str | None:
        heads: Sequence[str] = self.heads
        if label:
            heads = self._filter_for_lineage(heads, label)
        if len(heads) > 1:
            raise _multiple_heads(f"{label}@head" if label else "head", heads)
        return heads[0] if heads else None

    def _resolve_number(self, identifier: str) -> tuple[tuple[str, ...], str | None]:
        """Split `label@x` and expand the symbols head, heads and base."""
        label: str | None = None
        if "@" in identifier:
            label, identifier = identifier.split("@", 1)
        if identifier == "heads":
            if label:
                return tuple(self._filter_for_lineage(self.heads, label)), label
            return self.real_heads, label
        if identifier == "head":
            head = self._current_head(label)
            return ((head,) if head else ()), label
        if identifier == "base":
            return (), label
        return (identifier,), label

    def _get_revisions(self, identifier: str | Sequence[str], clamp: bool = False) -> list[_Pos]:
        if not isinstance(identifier, str):
            return [pos for one in identifier for pos in self._get_revisions(one, clamp)]
        ids, label = self._resolve_number(identifier)
        if len(ids) == 1:
            try:
                steps = int(ids[0])
            except ValueError:
                steps = 0
            if steps < 0:
                heads = [h for h in self.real_heads if label is None or label in self._labels[h]]
                return [self._walk(h, steps, None, no_overwalk=not clamp) for h in heads]
        return [self._in_branch(i, label) for i in ids]

    def _get_revision(self, identifier: str) -> str | None:
        ids, label = self._resolve_number(identifier)
        if len(ids) > 1:
            raise _multiple_heads(identifier, ids)
        if not ids:
            if label:
                self._resolve_branch(label)
            return None
        return self._in_branch(ids[0], label)

    def _walk(self, start: _Pos, steps: int, label: str | None, no_overwalk: bool) -> _Pos:
        """Move `steps` revisions up (>0) or down (<0); None when it walks off the graph."""
        pos = start
        for _ in range(abs(steps)):
            candidates: list[_Pos]
            if steps > 0:
                ups = list(self._children[pos]) if isinstance(pos, str) else list(self.bases)
                if label:
                    ups = self._filter_for_lineage(ups, label)
                candidates = list(ups)
            elif isinstance(pos, str):
                candidates = list(self._down[pos]) or [_Mark.BASE]
            else:
                # Nothing lies below base (Alembic wraps around to the heads here).
                candidates = []
            if not candidates:
                return None if no_overwalk else pos
            if len(candidates) > 1:
                where = pos if isinstance(pos, str) else "base"
                raise ResolutionError(
                    f"Ambiguous walk: {where} has {len(candidates)} "
                    f"{'children' if steps > 0 else 'parents'} "
                    f"({', '.join(str(c) for c in candidates)}); name the revision to go to",
                    where,
                )
            pos = candidates[0]
        return pos

    # ------------------------------------------------------------------ ordering

    def _ancestors_of(self, rev_id: str) -> set[str]:
        return self._reach([rev_id], self._ndown)

    def _check_overlap(self, revs: Sequence[str], upward: bool) -> None:
        uniq = _dedupe(revs)
        if len(uniq) < 2:
            return
        edges = self._children if upward else self._ndown
        for rev in uniq:
            reached = self._reach(edges[rev], edges)
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
        current = sorted({h for h in heads if h in todo}, key=self._index.__getitem__)
        # Revisions no head reaches: Alembic asserts; starting from them gives the answer.
        has_child = {d for r in todo for d in self._ndown[r]}
        extra = [r for r in todo if r not in has_child and r not in current]
        if extra:
            current = sorted({*current, *extra}, key=self._index.__getitem__)
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
            below = [r for r in self._ndown[candidate] if r in todo and r not in current]
            if not below:
                del current[idx]
                del ancestry[idx]
                idx = max(idx - 1, 0)
            elif len(self._ndown[candidate]) == 1:
                current[idx] = below[0]
                ancestry[idx].discard(candidate)
            else:
                current[idx] = below[0]
                ancestry[idx] = self._ancestors_of(below[0])
                current.extend(below[1:])
                ancestry.extend(self._ancestors_of(r) for r in below[1:])
        return out

    # ------------------------------------------------------------------ upgrade

    def _parse_upgrade_target(
        self, current: str | Sequence[str], target: str | Sequence[str], no_overwalk: bool
    ) -> list[_Pos]:
        match = _RELATIVE.match(target) if isinstance(target, str) else None
        if match is None:
            return self._get_revisions(target)
        label, symbol, relative = match.groups()
        steps = int(relative)
        if steps > 0 and symbol is None:
            starts: list[str | None] = list(_as_tuple(current)) or [None]
            if label:
                present = [p for p in self._get_revisions(_as_tuple(current)) if isinstance(p, str)]
                on_branch = self._filter_for_lineage(present, label)
                if not on_branch:
                    # The branch has no current revision: start from its newest ancestor.
                    active = self._filter_for_lineage(
                        sorted(self._reach(present, self._ndown), key=self._index.__getitem__),
                        label,
                    )
                    below = {d for r in active for d in self._ndown[r]}
                    on_branch = [r for r in active if r not in below]
                starts = list(on_branch) or [None]
            if len(starts) > 1:
                raise ResolutionError(
                    "Ambiguous upgrade from multiple current revisions "
                    f"({', '.join(str(s) for s in starts)}); use <branchname>@{relative} or "
                    "name the target revision",
                    str(target),
                )
            first = starts[0]
            start = self._get_revision(first) if first is not None else None
            pos = self._walk(start, steps, label, no_overwalk)
            if pos is None:
                raise ResolutionError(
                    f"Relative revision {relative} didn't produce {steps} migrations; "
                    "there are fewer revisions above the current one",
                    str(target),
                )
            return [pos]
        if steps > 0:
            return [self._walk(self._get_revision(symbol), steps, label, no_overwalk)]
        if symbol is None:
            raise ResolutionError(
                f"Relative revision {steps} didn't produce {abs(steps)} migrations; "
                "upgrade takes +N, downgrade takes -N",
                str(target),
            )
        start = self._get_revision(f"{label}@{symbol}" if label else symbol)
        return [self._walk(start, steps, None, no_overwalk)]

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
        for pos in self._parse_upgrade_target(lower, upper, no_overwalk):
            if pos is None:
                raise ResolutionError(
                    f"Walked too far: {_show(upper)} goes beyond the ends of the history",
                    _show(upper),
                )
            if isinstance(pos, str):
                targets.append(pos)
        if isinstance(lower, str) and "@" in lower:
            targets = self._on_named_branch(targets, lower.partition("@")[0])
        self._check_overlap(targets, upward=False)
        required = self._reach(targets, self._ndown)

        whole_branches: list[str] = []
        if implicit_base:
            current = [p for p in self._get_revisions(lower) if isinstance(p, str)]
        else:
            current, whole_branches = self._lower_bound(upper, lower, required)
        self._check_overlap(current, upward=False)
        needs = required - self._reach(current, self._ndown)
        if inclusive:
            needs.update(current)
        if current and not implicit_base:
            self._check_overlap(current, upward=True)
            allowed = self._reach(current, self._children)
            allowed |= self._reach(whole_branches, self._down)
            needs &= allowed
        return needs, targets

    def _lower_bound(
        self, upper: str | Sequence[str], lower: str | Sequence[str], required: set[str]
    ) -> tuple[list[str], list[str]]:
        """The revisions a history range starts at, and heads whose whole branch is in."""
        found = self._get_revisions(lower)
        for pos in found:
            if isinstance(pos, str) and pos not in required:
                raise ResolutionError(
                    f"Requested range {_show(lower)}:{_show(upper)} does not refer to "
                    "ancestor/descendant revisions along the same branch; put the older "
                    "revision on the left of ':'",
                    pos,
                )
        if found and found[0] is None and isinstance(lower, str):
            # When `-N` walks past base from the first head, Alembic reads it relative
            # to the upper bound instead.
            try:
                _, start = self._parse_downgrade_target(_as_tuple(upper), lower, False)
            except DistillError:
                pass  # Alembic fails here; stop each walk at base instead
            else:
                return ([start] if start is not None else []), []
        # Where a `-N` walk reaches or passes base, that head's branch is in whole
        # (Alembic compares the string "base" with revisions and refuses the range).
        ids, label = self._resolve_number(lower) if isinstance(lower, str) else ((), None)
        relative = len(ids) == 1 and _negative_int(ids[0])
        heads = [h for h in self.real_heads if label is None or label in self._labels[h]]
        current: list[str] = []
        whole: list[str] = []
        for i, pos in enumerate(self._get_revisions(lower, clamp=True)):
            if isinstance(pos, str):
                current.append(pos)
            elif pos is _Mark.BASE and relative:
                whole.append(heads[i])
        return current, whole

    def _on_named_branch(self, targets: list[str], branch: str) -> list[str]:
        """Keep the targets on `branch` (a label, or a revision standing for its branch)."""
        if branch in self._label_owner:
            return [t for t in targets if branch in self._labels[t]]
        owner = self._lookup(branch)
        labels = self._labels[owner]
        if owner == branch and len(labels) == 1:
            return [t for t in targets if labels[0] in self._labels[t]]
        lineage = self._lineage([owner], include_dependencies=False)
        return [t for t in targets if t in lineage]

    def upgrade_plan(self, current: Sequence[str], target: str) -> list[Step]:
        """Steps that take the version rows `current` up to `target`, in run order."""
        rows = self._check_rows(current)
        if ":" in target:
            raise RangeNotAllowed(
                f"Range revision not allowed: '{target}'; a start:end range needs --sql",
                target,
            )
        try:
            needs, targets = self._collect_upgrade(
                target, rows, inclusive=False, implicit_base=True, no_overwalk=True
            )
        except _HeadsError as error:
            raise _multiple_heads(target, error.heads) from None
        order = list(reversed(self._topological(needs, targets)))
        state = set(rows)
        return [self._upgrade_step(state, rev) for rev in order]

    def _upgrade_step(self, rows: set[str], rev: str) -> Step:
        downs = self._ndown[rev]
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
        floor = min(self._level[t] for t in wanted)
        found: set[str] = set()
        seen: set[str] = set()
        todo = [s for s in starts if self._level[s] >= floor]
        while todo and found != wanted:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in wanted:
                found.add(node)
            todo.extend(p for p in self._ndown[node] if self._level[p] >= floor)
        return found

    # ------------------------------------------------------------------ downgrade

    def _parse_downgrade_target(
        self, current: Sequence[str], target: str, no_overwalk: bool = True
    ) -> tuple[str | None, str | None]:
        match = _RELATIVE.match(target)
        if match is None:
            label, _, symbol = target.rpartition("@")
            return label or None, self._get_revision(symbol)
        label, symbol, relative = match.groups()
        steps = int(relative)
        if steps >= 0:
            if symbol is None:
                raise ResolutionError(
                    f"Relative revision {relative} didn't produce {steps} migrations; "
                    "downgrade takes -N, upgrade takes +N",
                    target,
                )
            pos = self._walk(self._get_revision(symbol), steps, label, no_overwalk)
            if pos is None:
                raise ResolutionError(
                    f"Walked too far: {target} goes beyond the ends of the history", target
                )
            return label, pos if isinstance(pos, str) else None
        from_current = symbol is None
        if from_current:
            if label:
                on_branch = self._filter_for_lineage(current, label)
                if not on_branch:
                    present = [p for p in self._get_revisions(tuple(current)) if isinstance(p, str)]
                    tips = sorted(self._all_current(present), key=self._index.__getitem__)
                    on_branch = self._filter_for_lineage(tips, label)
                if len(on_branch) != 1:
                    state = ", ".join(current) or "no revision"
                    raise ResolutionError(
                        f"Relative revision {target} is ambiguous: the database is at {state} "
                        f"and {len(on_branch)} of those lie on branch '{label}'; name the "
                        "target revision instead",
                        target,
                    )
                symbol = on_branch[0]
            else:
                if not current:
                    raise ResolutionError(
                        f"Relative revision {relative} didn't produce {abs(steps)} migrations; "
                        "the database has no revision to go down from",
                        target,
                    )
                symbol = current[0]
                label = symbol
        start = self._get_revision(f"{label}@{symbol}" if label else str(symbol))
        pos = self._walk(start, steps, None, no_overwalk)
        if pos is None:
            if from_current:
                raise ResolutionError(
                    f"Relative revision {relative} didn't produce {abs(steps)} migrations; "
                    "there are fewer revisions below the current one",
                    target,
                )
            raise ResolutionError(f"Walked too far: {target} goes below the first revision", target)
        return label, pos if isinstance(pos, str) else None

    def _collect_downgrade(self, rows: Sequence[str], target: str) -> tuple[set[str], list[str]]:
        label, destination = self._parse_downgrade_target(rows, target)
        if destination is None:
            roots = [r for r in self._revs if not self._down[r]]
        else:
            roots = list(self._children[destination])
        if label and len(roots) > 1:
            branch = self._reach([self._resolve_branch(label)], self._down)
            roots = [r for r in roots if r in branch]
            if not roots:
                raise ResolutionError(
                    f"Not a valid downgrade target from current heads: {target} does not lie "
                    f"on branch '{label}'",
                    target,
                )
        heads = list(rows)
        drop = self._reach(roots, self._all_children) & self._reach(heads, self._ndown)
        if destination is not None and not drop and destination not in heads:
            raise ResolutionError(
                f"Destination {target} is not a valid downgrade target from current head(s) "
                f"({', '.join(rows) or 'empty'}); it is not below them",
                target,
            )
        return drop, heads

    def downgrade_plan(self, current: Sequence[str], target: str) -> list[Step]:
        """Steps that take the version rows `current` down to `target`, in run order."""
        rows = self._check_rows(current)
        if ":" in target:
            raise RangeNotAllowed(
                f"Range revision not allowed: '{target}'; a start:end range needs --sql",
                target,
            )
        try:
            drop, heads = self._collect_downgrade(rows, target)
        except _HeadsError as error:
            raise _multiple_heads(target, error.heads) from None
        order = self._topological(drop, heads)
        state = set(rows)
        return [self._downgrade_step(state, rev) for rev in order]

    def _downgrade_step(self, rows: set[str], rev: str) -> Step:
        downs = self._ndown[rev]
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
        rows = [] if purge else list(self._check_rows(current))
        wanted = tuple(targets) or ("base",)
        try:
            return self._stamp(rows, wanted)
        except _HeadsError as error:
            raise _HeadsError(
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
                for row in self._filter_for_lineage(rows, target, include_dependencies=True):
                    if row not in related:
                        related.append(row)
        destinations: list[str | None] = []
        for pos in self._get_revisions(wanted):
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
            lineage = self._reach([dest], self._all_children) | self._ancestors_of(dest)
            live = tuple(r for r in related if r in lineage and r in state)
            steps.append(_apply(state, Step("stamp", dest, live, (dest,))))
        return steps

    # ------------------------------------------------------------------ history

    def walk(
        self, upper: str | Sequence[str] = "heads", lower: str | Sequence[str] = "base"
    ) -> list[str]:
        """Revisions from `lower` up to `upper`, both inclusive, newest first (history -r)."""
        if not isinstance(upper, str):
            upper = self._check_rows(upper)
        if not isinstance(lower, str):
            lower = self._check_rows(lower)
        needs, targets = self._collect_upgrade(
            upper, lower, inclusive=True, implicit_base=False, no_overwalk=False
        )
        return self._topological(needs, targets)

    # ------------------------------------------------------------------ helpers

    def _check_rows(self, rows: Sequence[str]) -> tuple[str, ...]:
        for row in rows:
            if row not in self._revs:
                raise _not_found(
                    row,
                    f"the version table holds '{row}' but no revision file declares it; "
                    "restore the file, or fix the table with `distill stamp`",
                )
        return tuple(rows)

    def _all_current(self, rows: Sequence[str]) -> set[str]:
        present = self._reach(rows, self._ndown)
        return {r for r in present if not any(c in present for c in self._children[r])}


def _negative_int(text: str) -> bool:
    try:
        return int(text) < 0
    except ValueError:
        return False


def _apply(rows: set[str], step: Step) -> Step:
    rows.difference_update(step.removes)
    rows.update(step.adds)
    return step


def _check_own_header(rev: Revision) -> None:
    try:
        check_revision_id(rev.revision)
    except ResolutionError as error:
        raise GraphError(f"{rev.path}: {error.message}") from None
    if rev.revision in rev.down_revisions:
        raise LoopDetected(
            f"Self-loop is detected in revisions ({rev.revision}); {rev.path} lists its own "
            "id in down_revision"
        )
    if rev.revision in rev.depends_on:
        raise LoopDetected(
            f"Dependency self-loop is detected in revisions ({rev.revision}); {rev.path} "
            "lists its own id in depends_on"
        )
