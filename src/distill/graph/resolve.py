"""Identifier resolution: every way a command names revisions, turned into revision ids.

Full ids, unique prefixes (over three characters), branch labels, `head`, `heads`,
`base`, `label@x`, and relative forms (`+N`, `-N`, `<id>+N`, `head-N`, `label@-N`), with
Alembic's wording where Alembic has an error for it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence

from distill.errors import MultipleHeads, ResolutionError
from distill.graph.model import RevisionMap, as_tuple, dedupe, not_found, reach

# `[label@][symbol](+|-)N`, matched at the start of the argument as Alembic does.
_RELATIVE = re.compile(r"(?:(.+?)@)?(\w+)?([+-]\d+)")


class Mark(enum.Enum):
    """Where a relative walk ended when it did not end on a revision."""

    BASE = "base"  # exactly one step below a root


# A position in the graph: a revision id, None for "base / nothing", or a walk mark.
Position = str | None | Mark


class HeadsError(MultipleHeads):
    """MultipleHeads that keeps the heads, so a caller can reword the message."""

    def __init__(self, message: str, argument: str, heads: Sequence[str]) -> None:
        super().__init__(message, argument)
        self.heads = tuple(heads)


def multiple_heads(argument: str, heads: Sequence[str]) -> HeadsError:
    """The error for an argument that names several heads where one is needed."""
    return HeadsError(
        f"Multiple head revisions are present for given argument '{argument}'; please "
        f"specify a specific target revision, '<branchname>@{argument}' to narrow to a "
        f"specific head, or 'heads' for all heads (heads: {', '.join(heads)})",
        argument,
        heads,
    )


class Resolver:
    """Resolves identifiers against one RevisionMap."""

    def __init__(self, revision_map: RevisionMap) -> None:
        self._map = revision_map

    def resolve(self, identifier: str) -> tuple[str, ...]:
        """The revisions an identifier names (`show`, `stamp`, `merge`, `--head`)."""
        found: list[str] = []
        for pos in self.get_revisions(identifier):
            if pos is None:
                raise ResolutionError(
                    f"Relative revision {identifier} walks below the first revision; use a "
                    "smaller step count",
                    identifier,
                )
            if isinstance(pos, str):
                found.append(pos)
        return dedupe(found)

    def resolve_one(self, identifier: str) -> str | None:
        """The single revision an identifier names, None for base."""
        found = self.resolve(identifier)
        if len(found) > 1:
            raise multiple_heads(identifier, found)
        return found[0] if found else None

    def lookup(self, key: str) -> str:
        """Exact revision id or branch label, else a unique prefix (keys over 3 chars)."""
        if key in self._map:
            return key
        if key in self._map.label_owner:
            return self._map.label_owner[key]
        return self._key_owner(self._unique_prefix(key, self._prefix_matches(key)))

    def _prefix_matches(self, key: str) -> list[str]:
        if not key:
            return []
        return [k for k in self._map.lookup_keys if len(k) > 3 and k.startswith(key)]

    def _unique_prefix(self, key: str, matches: Sequence[str]) -> str:
        if not matches:
            hint = (
                "; please ensure at least four characters are present for partial "
                "revision identifier matches"
                if len(key) < 4
                else ""
            )
            raise not_found(key, f"No such revision or branch '{key}'{hint}")
        if len(matches) > 1:
            listed = ", ".join(f"'{m}'" for m in matches[:3])
            raise not_found(
                key, f"Multiple revisions start with '{key}': {listed}...; type more characters"
            )
        return matches[0]

    def _key_owner(self, key: str) -> str:
        return key if key in self._map else self._map.label_owner[key]

    def resolve_branch(self, branch: str) -> str:
        """The revision a branch name stands for (a label, an id or a unique prefix)."""
        try:
            return self.lookup(branch)
        except ResolutionError:
            raise not_found(
                branch,
                f"No such branch: '{branch}'; name a branch label or a revision on the branch",
            ) from None

    def _in_branch(self, key: str, branch: str | None) -> str | None:
        """Alembic's lookup of `key`, checked to lie on `branch` when one is given."""
        branch_rev = self.resolve_branch(branch) if branch else None
        if key in self._map or key in self._map.label_owner:
            found = self._key_owner(key)
        else:
            matches = self._prefix_matches(key)
            if branch_rev is not None:
                lineage = self._map.lineage([branch_rev], include_dependencies=False)
                matches = [m for m in matches if self._key_owner(m) in lineage]
            found = self._key_owner(self._unique_prefix(key, matches))
        if branch_rev is not None and found not in self._map.lineage(
            [branch_rev], include_dependencies=False
        ):
            raise not_found(
                key,
                f"Revision {found} is not a member of branch '{branch}'; pick a revision "
                f"above or below {branch_rev}",
            )
        return found

    def filter_for_lineage(
        self, targets: Sequence[str], check_against: str, include_dependencies: bool = False
    ) -> list[str]:
        """The `targets` sharing a line of descent with what `check_against` names."""
        ids, label = self.resolve_number(check_against)
        shares = ([label] if label else []) + list(ids)
        if not shares or not targets:
            return list(targets)
        lineage = self._map.lineage(
            [self.lookup(s) for s in shares], include_dependencies=include_dependencies
        )
        return [t for t in targets if t in lineage]

    def _current_head(self, label: str | None) -> str | None:
        heads: Sequence[str] = self._map.heads
        if label:
            heads = self.filter_for_lineage(heads, label)
        if len(heads) > 1:
            raise multiple_heads(f"{label}@head" if label else "head", heads)
        return heads[0] if heads else None

    def resolve_number(self, identifier: str) -> tuple[tuple[str, ...], str | None]:
        """Split `label@x` and expand the symbols head, heads and base."""
        label: str | None = None
        if "@" in identifier:
            label, identifier = identifier.split("@", 1)
        if identifier == "heads":
            if label:
                return tuple(self.filter_for_lineage(self._map.heads, label)), label
            return self._map.real_heads, label
        if identifier == "head":
            head = self._current_head(label)
            return ((head,) if head else ()), label
        if identifier == "base":
            return (), label
        return (identifier,), label

    def get_revisions(self, identifier: str | Sequence[str], clamp: bool = False) -> list[Position]:
        """Positions an identifier (or several) names; `-N` walks from each real head."""
        if not isinstance(identifier, str):
            return [pos for one in identifier for pos in self.get_revisions(one, clamp)]
        ids, label = self.resolve_number(identifier)
        if len(ids) == 1:
            try:
                steps = int(ids[0])
            except ValueError:
                steps = 0
            if steps < 0:
                heads = self.real_heads_on(label)
                return [self.walk(h, steps, None, no_overwalk=not clamp) for h in heads]
        return [self._in_branch(i, label) for i in ids]

    def real_heads_on(self, label: str | None) -> list[str]:
        """The real heads carrying branch label `label` (every real head for None)."""
        labels = self._map.inherited_labels
        return [h for h in self._map.real_heads if label is None or label in labels[h]]

    def get_revision(self, identifier: str) -> str | None:
        """The one revision an identifier names, None for base; several is an error."""
        ids, label = self.resolve_number(identifier)
        if len(ids) > 1:
            raise multiple_heads(identifier, ids)
        if not ids:
            if label:
                self.resolve_branch(label)
            return None
        return self._in_branch(ids[0], label)

    def walk(self, start: Position, steps: int, label: str | None, no_overwalk: bool) -> Position:
        """Move `steps` revisions up (>0) or down (<0); None when it walks off the graph."""
        pos = start
        for _ in range(abs(steps)):
            candidates: list[Position]
            if steps > 0:
                ups = list(self._map.up[pos]) if isinstance(pos, str) else list(self._map.bases)
                if label:
                    ups = self.filter_for_lineage(ups, label)
                candidates = list(ups)
            elif isinstance(pos, str):
                candidates = list(self._map.down[pos]) or [Mark.BASE]
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

    def parse_upgrade_target(
        self, current: str | Sequence[str], target: str | Sequence[str], no_overwalk: bool
    ) -> list[Position]:
        """Positions an upgrade target names, `+N` counted from the current rows."""
        match = _RELATIVE.match(target) if isinstance(target, str) else None
        if match is None:
            return self.get_revisions(target)
        label, symbol, relative = match.groups()
        steps = int(relative)
        if steps > 0 and symbol is None:
            starts: list[str | None] = list(as_tuple(current)) or [None]
            if label:
                present = [p for p in self.get_revisions(as_tuple(current)) if isinstance(p, str)]
                on_branch = self.filter_for_lineage(present, label)
                if not on_branch:
                    # The branch has no current revision: start from its newest ancestor.
                    active = self.filter_for_lineage(
                        sorted(reach(present, self._map.ndown), key=self._map.index.__getitem__),
                        label,
                    )
                    below = {d for r in active for d in self._map.ndown[r]}
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
            start = self.get_revision(first) if first is not None else None
            pos = self.walk(start, steps, label, no_overwalk)
            if pos is None:
                raise ResolutionError(
                    f"Relative revision {relative} didn't produce {steps} migrations; "
                    "there are fewer revisions above the current one",
                    str(target),
                )
            return [pos]
        if steps > 0:
            return [self.walk(self.get_revision(symbol), steps, label, no_overwalk)]
        if symbol is None:
            raise ResolutionError(
                f"Relative revision {steps} didn't produce {abs(steps)} migrations; "
                "upgrade takes +N, downgrade takes -N",
                str(target),
            )
        start = self.get_revision(f"{label}@{symbol}" if label else symbol)
        return [self.walk(start, steps, None, no_overwalk)]

    def on_named_branch(self, targets: list[str], branch: str) -> list[str]:
        """Keep the targets on `branch` (a label, or a revision standing for its branch)."""
        if branch in self._map.label_owner:
            return [t for t in targets if branch in self._map.inherited_labels[t]]
        owner = self.lookup(branch)
        labels = self._map.inherited_labels[owner]
        if owner == branch and len(labels) == 1:
            return [t for t in targets if labels[0] in self._map.inherited_labels[t]]
        lineage = self._map.lineage([owner], include_dependencies=False)
        return [t for t in targets if t in lineage]

    def parse_downgrade_target(
        self, current: Sequence[str], target: str, no_overwalk: bool = True
    ) -> tuple[str | None, str | None]:
        """The branch label and revision a downgrade target names, `-N` from the rows."""
        match = _RELATIVE.match(target)
        if match is None:
            label, _, symbol = target.rpartition("@")
            return label or None, self.get_revision(symbol)
        label, symbol, relative = match.groups()
        steps = int(relative)
        if steps >= 0:
            if symbol is None:
                raise ResolutionError(
                    f"Relative revision {relative} didn't produce {steps} migrations; "
                    "downgrade takes -N, upgrade takes +N",
                    target,
                )
            pos = self.walk(self.get_revision(symbol), steps, label, no_overwalk)
            if pos is None:
                raise ResolutionError(
                    f"Walked too far: {target} goes beyond the ends of the history", target
                )
            return label, pos if isinstance(pos, str) else None
        from_current = symbol is None
        if from_current:
            if label:
                on_branch = self.filter_for_lineage(current, label)
                if not on_branch:
                    present = [p for p in self.get_revisions(tuple(current)) if isinstance(p, str)]
                    tips = sorted(self._map.tips(present), key=self._map.index.__getitem__)
                    on_branch = self.filter_for_lineage(tips, label)
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
        start = self.get_revision(f"{label}@{symbol}" if label else str(symbol))
        pos = self.walk(start, steps, None, no_overwalk)
        if pos is None:
            if from_current:
                raise ResolutionError(
                    f"Relative revision {relative} didn't produce {abs(steps)} migrations; "
                    "there are fewer revisions below the current one",
                    target,
                )
            raise ResolutionError(f"Walked too far: {target} goes below the first revision", target)
        return label, pos if isinstance(pos, str) else None
