"""The text `heads`, `history`, `show`, `current` and `branches` print, character for
character as Alembic prints it. Pure functions over a RevisionGraph and a revision id."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from distill.graph import RevisionGraph

BASE_MARKER = "<base>"


def comma(value: str | Iterable[str] | None) -> str:
    """Alembic's `comma` filter: None -> "", a string as is, an iterable comma-joined."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return ", ".join(value)


def long_doc(graph: RevisionGraph, rev: str) -> str:
    """The revision's whole docstring, stripped."""
    return graph.revisions[rev].doc.strip()


def first_paragraph(doc: str) -> str:
    """The revision message: a docstring up to its first blank line."""
    return re.split("\n\n", doc.strip())[0]


def short_doc(graph: RevisionGraph, rev: str) -> str:
    """The first paragraph of the docstring (the revision message)."""
    return first_paragraph(graph.revisions[rev].doc)


def format_parents(graph: RevisionGraph, rev: str) -> str:
    """`<base>` for a root, else the down revisions comma-joined."""
    parents = graph.revisions[rev].down_revisions
    return comma(parents) if parents else BASE_MARKER


def _is_real_head(graph: RevisionGraph, rev: str) -> bool:
    """A head nothing depends on, neither as a child nor through depends_on."""
    return graph.is_real_head(rev)


def short_line(
    graph: RevisionGraph,
    rev: str,
    *,
    include_branches: bool = False,
    include_doc: bool = False,
    include_parents: bool = False,
    tree_indicators: bool = True,
    head_indicators: bool = True,
    current: bool = False,
) -> str:
    """One line: `[parents -> ]rev[ (labels)][ (head)][ (current)][ (branchpoint)]...`."""
    revision = graph.revisions[rev]
    text = rev
    if include_parents:
        if revision.depends_on:
            text = f"{format_parents(graph, rev)} ({comma(revision.depends_on)}) -> {text}"
        else:
            text = f"{format_parents(graph, rev)} -> {text}"
    labels = graph.labels(rev)
    if include_branches and labels:
        text += f" ({comma(labels)})"
    if head_indicators or tree_indicators:
        real_head = _is_real_head(graph, rev)
        if real_head:
            text += " (head)"
        elif graph.is_head(rev):
            text += " (effective head)"
        if current:
            text += " (current)"
    if tree_indicators:
        if graph.is_branch_point(rev):
            text += " (branchpoint)"
        if graph.is_merge_point(rev):
            text += " (mergepoint)"
    if include_doc:
        text += f", {short_doc(graph, rev)}"
    return text


def verbose_block(graph: RevisionGraph, rev: str, *, current: bool = False) -> str:
    """The `Rev:` / `Parent:` / `Path:` block with the indented docstring (ends in a newline)."""
    revision = graph.revisions[rev]
    branch_point = graph.is_branch_point(rev)
    merge_point = graph.is_merge_point(rev)
    lines = [
        "Rev: "
        + rev
        + (" (head)" if graph.is_head(rev) else "")
        + (" (branchpoint)" if branch_point else "")
        + (" (mergepoint)" if merge_point else "")
        + (" (current)" if current else "")
    ]
    lines.append(("Merges: " if merge_point else "Parent: ") + format_parents(graph, rev))
    if revision.depends_on:
        lines.append("Also depends on: " + comma(revision.depends_on))
    if branch_point:
        lines.append("Branches into: " + comma(graph.children(rev)))
    labels = graph.labels(rev)
    if labels:
        lines.append("Branch names: " + comma(labels))
    lines.append("Path: " + revision.path)
    doc_lines = ["    " + line for line in long_doc(graph, rev).splitlines()]
    return "\n".join(lines) + "\n\n" + "\n".join(doc_lines) + "\n"


def history_entry(
    graph: RevisionGraph, rev: str, *, verbose: bool = False, current: Collection[str] = ()
) -> str:
    """One `history` entry: the verbose block, or `parents -> rev (markers), doc`."""
    is_current = rev in current
    if verbose:
        return verbose_block(graph, rev, current=is_current)
    return short_line(
        graph,
        rev,
        include_branches=True,
        include_doc=True,
        include_parents=True,
        current=is_current,
    )


def heads_entry(graph: RevisionGraph, rev: str, *, verbose: bool = False) -> str:
    """One `heads` entry: labels and head markers, never branchpoint/mergepoint."""
    if verbose:
        return verbose_block(graph, rev)
    return short_line(graph, rev, include_branches=True, tree_indicators=False)


def current_entry(graph: RevisionGraph, rev: str, *, verbose: bool = False) -> str:
    """One `current` entry: the revision with its tree markers, or the verbose block."""
    if verbose:
        return verbose_block(graph, rev)
    return short_line(graph, rev)


def branch_group(graph: RevisionGraph, rev: str, *, verbose: bool = False) -> str:
    """A branch point and one `-> child` line per child, followed by a blank line."""
    head = verbose_block(graph, rev) if verbose else short_line(graph, rev, include_branches=True)
    indent = " " * len(rev)
    children = "\n".join(
        f"{indent} -> " + short_line(graph, child, include_branches=True, include_doc=verbose)
        for child in graph.children(rev)
    )
    return f"{head}\n{children}\n\n"


def branches_text(graph: RevisionGraph, *, verbose: bool = False) -> str:
    """Everything `branches` prints, minus the final newline print adds ("" if none)."""
    groups = [
        branch_group(graph, rev, verbose=verbose)
        for rev in graph.walk()
        if graph.is_branch_point(rev)
    ]
    return "".join(groups)[:-1]
