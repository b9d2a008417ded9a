"""Revisions, plan steps and the validated map of their links.

`RevisionMap` checks a set of revision headers (unique ids and labels, links that exist,
no cycles) and answers questions about the structure: parents, children, labels, heads,
bases, ancestors. Identifier resolution (`resolve.py`) and planning (`plan.py`) read its
link tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from distill.errors import (
    CycleDetected,
    DependencyCycleDetected,
    GraphError,
    LoopDetected,
    ResolutionError,
)

ILLEGAL_REVISION_CHARS = "@-+:"
_ILLEGAL = re.compile(f"[{re.escape(ILLEGAL_REVISION_CHARS)}]")

# Alembic's version table stores an id in version_num VARCHAR(32).
MAX_REVISION_ID_LENGTH = 32

HISTORY_HINT = "run `distill history` to list the revisions"


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


def check_revision_id(rev_id: str) -> None:
    """Raise ResolutionError if `rev_id` cannot be a revision id (empty, or `@ - + :`)."""
    if rev_id and _ILLEGAL.search(rev_id) is None:
        return  # the common case, without building sets (every header is checked)
    bad = sorted(set(rev_id) & set(ILLEGAL_REVISION_CHARS))
    if bad:
        raise ResolutionError(
            f"Character(s) '{', '.join(bad)}' not allowed in revision identifier "
            f"'{rev_id}'; revision ids may use letters, digits and '_'",
            rev_id,
        )
    if not rev_id:
        raise ResolutionError("A revision identifier may not be empty", rev_id)


def check_new_revision_id(rev_id: str) -> None:
    """check_revision_id, and what a new id must also be: stored whole, no padding."""
    check_revision_id(rev_id)
    if len(rev_id) > MAX_REVISION_ID_LENGTH:
        raise ResolutionError(
            f"Revision identifier '{rev_id}' is {len(rev_id)} characters long, but the "
            f"version table column (version_num) holds at most {MAX_REVISION_ID_LENGTH}",
            rev_id,
        )
    if not rev_id.strip() or rev_id != rev_id.strip():
        raise ResolutionError(
            f"Revision identifier {rev_id!r} is empty or has surrounding whitespace", rev_id
        )


def dedupe(items: Iterable[str]) -> tuple[str, ...]:
    """`items` without repeats, in first-seen order."""
    return tuple(dict.fromkeys(items))


def as_tuple(value: str | Sequence[str]) -> tuple[str, ...]:
    """One identifier or several, as a tuple."""
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def show(value: str | Sequence[str]) -> str:
    """One identifier or several, as messages show them."""
    return value if isinstance(value, str) else ", ".join(value)


def reach(starts: Iterable[str], edges: Mapping[str, Sequence[str]]) -> set[str]:
    """`starts` and every node reachable from them along `edges`."""
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(edges[node])
    return seen


def not_found(argument: str, detail: str) -> ResolutionError:
    """Alembic's CLI wording first, then the precise reason."""
    return ResolutionError(f"Can't locate revision identified by '{argument}': {detail}", argument)


class RevisionMap:
    """All revisions of a project, validated, with their link tables and structure."""

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
        # The link tables below are keyed by revision id, in input order, and read by
        # resolve.py and plan.py: down (down_revision), deps (depends_on as ids),
        # all_down (both), up / all_up (the same links reversed: children), ndown
        # (normalized parents), level (distance from a base), inherited_labels.
        self.index = {rev_id: i for i, rev_id in enumerate(revs)}
        self.label_owner = self._map_labels()
        # Lookup keys in Alembic's map order: revision ids, then branch labels.
        self.lookup_keys = (*revs, *self.label_owner)

        self.down = {
            r: rev.down_revisions
            if type(rev.down_revisions) is tuple and len(rev.down_revisions) < 2
            else dedupe(rev.down_revisions)
            for r, rev in revs.items()
        }
        # Most histories declare no depends_on: then the "all links" tables are the
        # down_revision tables themselves, and nothing needs normalizing.
        has_deps = any(rev.depends_on for rev in revs.values())
        self.deps = (
            {r: self._resolve_dependencies(rev) for r, rev in revs.items()}
            if has_deps
            else dict.fromkeys(revs, ())
        )
        self._check_down_revisions_exist()

        children: dict[str, list[str]] = {r: [] for r in revs}
        for r, parents in self.down.items():
            for parent in parents:
                children[parent].append(r)
        self.up = {r: tuple(c) for r, c in children.items()}
        if has_deps:
            all_children: dict[str, list[str]] = {r: [] for r in revs}
            for r in revs:
                for parent in dedupe((*self.down[r], *self.deps[r])):
                    all_children[parent].append(r)
            self.all_up = {r: tuple(c) for r, c in all_children.items()}
            self.all_down = {r: dedupe((*self.down[r], *self.deps[r])) for r in revs}
        else:
            self.all_up = self.up
            self.all_down = self.down
        order = self._versioned_order()
        self.level = self._levels()
        if len(order) < len(revs) or len(self.level) < len(revs):
            # A loop somewhere: the reachability check names the revisions in it.
            self._check_cycles()

        # down_revisions plus the dependencies no versioned ancestor already declares
        self.ndown = self._normalized_down_revisions(order) if has_deps else self.down
        self.heads: tuple[str, ...] = tuple(r for r in revs if not self.up[r])
        self.real_heads: tuple[str, ...] = tuple(r for r in revs if not self.all_up[r])
        self.bases: tuple[str, ...] = tuple(r for r in revs if not self.down[r])
        self.real_bases: tuple[str, ...] = tuple(
            r for r in revs if not self.down[r] and not revs[r].depends_on
        )
        self.inherited_labels = self._propagate_labels()

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
            elif dep in self.label_owner:
                resolved.append(self.label_owner[dep])
            else:
                matches = [r for r in self._revs if len(r) > 3 and r.startswith(dep)]
                if len(matches) != 1:
                    raise GraphError(
                        f"Revision {dep} referenced from {rev.revision} (depends_on) is not "
                        f"present ({rev.path}); depends_on must name an existing revision id "
                        "or branch label"
                    )
                resolved.append(matches[0])
        return dedupe(resolved)

    def _check_down_revisions_exist(self) -> None:
        for rev_id, downs in self.down.items():
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
        heads = [r for r in self._revs if not self.up[r]]
        bases = [r for r in self._revs if not self.down[r]]
        sound = reach(heads, self.down) & reach(bases, self.up)
        broken = sorted(set(self._revs) - sound)
        if broken:
            raise CycleDetected(
                f"Cycle is detected in revisions ({', '.join(broken)}); down_revision links "
                f"loop back on themselves in: {self._paths(broken)}"
            )
        real_heads = [r for r in self._revs if not self.all_up[r]]
        real_bases = [r for r in bases if not self._revs[r].depends_on]
        sound = reach(real_heads, self.all_down) & reach(real_bases, self.all_up)
        broken = sorted(set(self._revs) - sound)
        if broken:
            raise DependencyCycleDetected(
                f"Dependency cycle is detected in revisions ({', '.join(broken)}); "
                f"down_revision and depends_on links loop in: {self._paths(broken)}"
            )

    def _paths(self, rev_ids: Iterable[str]) -> str:
        return ", ".join(self._revs[r].path or r for r in rev_ids)

    def _normalized_down_revisions(self, order: list[str]) -> dict[str, tuple[str, ...]]:
        """down_revisions plus the dependencies no versioned ancestor already declares
        (`order`: the revisions, parents before children)."""
        inherited: dict[str, frozenset[str]] = {}
        empty: frozenset[str] = frozenset()
        for r in order:
            parents = self.down[r]
            if len(parents) == 1 and not self.deps[parents[0]]:
                inherited[r] = inherited[parents[0]]  # share the set along plain chains
            else:
                acc: set[str] = set()
                for p in parents:
                    acc.update(inherited[p])
                    acc.update(self.deps[p])
                inherited[r] = frozenset(acc) if acc else empty
        return {
            r: dedupe((*self.down[r], *(d for d in self.deps[r] if d not in inherited[r])))
            for r in self._revs
        }

    def _levels(self) -> dict[str, int]:
        """Longest distance from a base over parents and dependencies."""
        level: dict[str, int] = {}
        pending = {r: len(self.all_down[r]) for r in self._revs}
        ready = [r for r in self._revs if not pending[r]]
        all_down = self.all_down
        while ready:
            r = ready.pop()
            parents = all_down[r]
            if len(parents) == 1:  # most revisions: one parent, no generator needed
                level[r] = level[parents[0]] + 1
            else:
                level[r] = 1 + max((level[p] for p in parents), default=-1)
            for child in self.all_up[r]:
                pending[child] -= 1
                if not pending[child]:
                    ready.append(child)
        return level

    def _versioned_order(self) -> list[str]:
        """Revision ids, parents before children (down_revision links only)."""
        pending = {r: len(self.down[r]) for r in self._revs}
        ready = [r for r in self._revs if not pending[r]]
        order: list[str] = []
        while ready:
            r = ready.pop()
            order.append(r)
            for child in self.up[r]:
                pending[child] -= 1
                if not pending[child]:
                    ready.append(child)
        return order

    def _propagate_labels(self) -> dict[str, tuple[str, ...]]:
        # Alembic gives a label to every descendant of the labelled revision and, when
        # that part of the history is a plain chain, also to its ancestors down to the
        # nearest branch point or merge point.
        if not self.label_owner:
            return dict.fromkeys(self._revs, ())
        found: dict[str, list[str]] = {r: [] for r in self._revs}
        for rev_id, rev in self._revs.items():
            if not rev.branch_labels:
                continue
            above = reach([rev_id], self.up)
            for node in above:
                found[node].extend(rev.branch_labels)
            if any(self._stops_label_walk(node) for node in above):
                continue
            below = self.down[rev_id]
            while below and not self._stops_label_walk(below[0]):
                found[below[0]].extend(rev.branch_labels)
                below = self.down[below[0]]
        return {r: dedupe((*self._revs[r].branch_labels, *found[r])) for r in self._revs}

    def _stops_label_walk(self, rev_id: str) -> bool:
        return len(self.all_up[rev_id]) > 1 or len(self.down[rev_id]) > 1

    # ------------------------------------------------------------------ structure

    def get(self, rev_id: str) -> Revision:
        """The revision with exactly this id."""
        try:
            return self._revs[rev_id]
        except KeyError:
            raise not_found(rev_id, f"no revision has the id '{rev_id}'; {HISTORY_HINT}") from None

    def __contains__(self, rev_id: object) -> bool:
        return rev_id in self._revs

    def __len__(self) -> int:
        return len(self._revs)

    def parents(self, rev: str) -> tuple[str, ...]:
        """The revision's down_revisions."""
        return self.down[self.get(rev).revision]

    def normalized_parents(self, rev: str) -> tuple[str, ...]:
        """down_revisions plus the dependencies no versioned ancestor already declares:
        what Alembic treats as the revisions a step goes from (upgrade) or back to."""
        return self.ndown[self.get(rev).revision]

    def children(self, rev: str) -> tuple[str, ...]:
        """Revisions naming `rev` in their down_revision, in input order."""
        return self.up[self.get(rev).revision]

    def dependencies(self, rev: str) -> tuple[str, ...]:
        """depends_on of `rev` resolved to full revision ids."""
        return self.deps[self.get(rev).revision]

    def labels(self, rev: str) -> tuple[str, ...]:
        """Branch labels Alembic shows for `rev`: its own, then those it inherits."""
        return self.inherited_labels[self.get(rev).revision]

    def is_head(self, rev: str) -> bool:
        """No revision names `rev` in down_revision (Alembic's `is_head`; `Rev: x (head)`)."""
        return not self.up[self.get(rev).revision]

    def is_real_head(self, rev: str) -> bool:
        """Nothing names `rev` in down_revision or depends_on (short form `(head)`)."""
        return not self.all_up[self.get(rev).revision]

    def is_effective_head(self, rev: str) -> bool:
        """A head only some depends_on points at (short form `(effective head)`)."""
        return self.is_head(rev) and not self.is_real_head(rev)

    def is_base(self, rev: str) -> bool:
        """`rev` has no down_revision."""
        return not self.down[self.get(rev).revision]

    def is_branch_point(self, rev: str) -> bool:
        """More than one revision names `rev` in down_revision."""
        return len(self.up[self.get(rev).revision]) > 1

    def is_merge_point(self, rev: str) -> bool:
        """`rev` has more than one down_revision."""
        return len(self.down[self.get(rev).revision]) > 1

    def ancestors(self, revs: Iterable[str], include_dependencies: bool = True) -> frozenset[str]:
        """`revs` and everything below them."""
        edges = self.ndown if include_dependencies else self.down
        return frozenset(reach([self.get(r).revision for r in revs], edges))

    def descendants(self, revs: Iterable[str], include_dependencies: bool = True) -> frozenset[str]:
        """`revs` and everything above them."""
        edges = self.all_up if include_dependencies else self.up
        return frozenset(reach([self.get(r).revision for r in revs], edges))

    def lineage(self, revs: Iterable[str], include_dependencies: bool) -> set[str]:
        """Everything sharing a line of descent with `revs`: ancestors and descendants."""
        revs = list(revs)
        up = self.all_up if include_dependencies else self.up
        down = self.ndown if include_dependencies else self.down
        return reach(revs, up) | reach(revs, down)

    def check_rows(self, rows: Sequence[str]) -> tuple[str, ...]:
        """The version rows as a tuple; an error for a row no revision file declares."""
        for row in rows:
            if row not in self._revs:
                raise not_found(
                    row,
                    f"the version table holds '{row}' but no revision file declares it; "
                    "restore the file, or fix the table with `distill stamp`",
                )
        return tuple(rows)

    def tips(self, rows: Sequence[str]) -> set[str]:
        """The newest revision of each branch the rows stand on, dependencies included."""
        present = reach(rows, self.ndown)
        return {r for r in present if not any(c in present for c in self.up[r])}

    def current_heads(self, rows: Sequence[str]) -> tuple[str, ...]:
        """What `current` lists for these version rows: each branch's tip, dependencies
        included, in input order."""
        return tuple(sorted(self.tips(self.check_rows(rows)), key=self.index.__getitem__))


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
