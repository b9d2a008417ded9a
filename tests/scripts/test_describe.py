"""The text of heads/history/show/branches, compared character for character with what
Alembic prints for the same project (the ALEMBIC-FACTS test graph).

Alembic lists a branch point's children from a Python set, so their order changes from
run to run; only those lists are put in a canonical order before comparing."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig

from distill.config import Config
from distill.graph import Revision, RevisionGraph
from distill.scripts.describe import (
    branches_text,
    heads_entry,
    history_entry,
    short_line,
    verbose_block,
)
from distill.scripts.directory import ScriptDirectory

# (rev id, message, head, splice, branch label, depends_on); merges have a tuple head
GRAPH: list[tuple[str, str, object, bool, str | None, list[str] | None]] = [
    ("aaa111", "create account table", "head", False, None, None),
    ("bbb222", "add b", "head", False, None, None),
    ("ccc111", "c one", "head", False, None, None),
    ("ccc333", "c two splice", "bbb222", True, None, None),
    ("mmm999", "merge cs", ("ccc111", "ccc333"), False, None, None),
    ("ddd444", "ddd after merge", "mmm999", False, None, None),
    ("sss001", "side base", "base", False, "side", ["bbb222"]),
    ("sss002", "side two, with ünïcode", "side@head", False, None, None),
]
# sss003 depends on ddd444, which makes ddd444 an "effective head"
EFFECTIVE_HEAD = ("sss003", "side three", "side@head", False, None, ["ddd444"])


def build_alembic_project(folder: Path, graph: list[tuple]) -> Path:  # type: ignore[type-arg]
    """`alembic init` + one `alembic revision`/`merge` per entry, in-process."""
    folder.mkdir(parents=True)
    ini = folder / "alembic.ini"
    config = AlembicConfig(str(ini), stdout=io.StringIO())
    alembic_command.init(config, str(folder / "migrations"))
    for rev_id, message, head, splice, label, depends in graph:
        if isinstance(head, tuple):
            alembic_command.merge(config, list(head), message=message, rev_id=rev_id)
        else:
            alembic_command.revision(
                config,
                message=message,
                rev_id=rev_id,
                head=head,
                splice=splice,
                branch_label=label,
                depends_on=depends,
            )
    return ini


def alembic_output(ini: Path, run: Callable[[AlembicConfig], None]) -> str:
    # a UTF-8 stream, as a terminal is: Alembic writes "?" for non-ASCII to a StringIO
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    run(AlembicConfig(str(ini), stdout=out))
    return raw.getvalue().decode("utf-8")


def canonical(text: str) -> str:
    """Sort the set-ordered parts: `Branches into:` lists and `-> child` line groups."""
    text = re.sub(
        r"^Branches into: (.*)$",
        lambda m: "Branches into: " + ", ".join(sorted(m.group(1).split(", "))),
        text,
        flags=re.M,
    )
    out: list[str] = []
    group: list[str] = []
    for line in text.split("\n"):
        if re.match(r"^ +-> ", line):
            group.append(line)
            continue
        out.extend(sorted(group))
        group = []
        out.append(line)
    out.extend(sorted(group))
    return "\n".join(out)


@pytest.fixture(scope="module", params=["two_heads", "effective_head"])
def projects(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ScriptDirectory]:
    graph = GRAPH + ([EFFECTIVE_HEAD] if request.param == "effective_head" else [])
    ini = build_alembic_project(tmp_path_factory.mktemp(request.param) / "proj", graph)
    ours = ScriptDirectory.from_config(Config(ini))
    return ini, ours


def printed(lines: list[str]) -> str:
    """What Config.print_stdout makes of these texts."""
    return "".join(text + "\n" for text in lines)


def test_heads(projects: tuple[Path, ScriptDirectory]) -> None:
    ini, script = projects
    graph = script.graph
    expected = alembic_output(ini, lambda c: alembic_command.heads(c))
    assert printed([heads_entry(graph, rev) for rev in graph.heads]) == expected


def test_heads_resolve_dependencies(projects: tuple[Path, ScriptDirectory]) -> None:
    ini, script = projects
    graph = script.graph
    expected = alembic_output(ini, lambda c: alembic_command.heads(c, resolve_dependencies=True))
    assert printed([heads_entry(graph, rev) for rev in graph.resolve("heads")]) == expected


def test_heads_verbose(projects: tuple[Path, ScriptDirectory]) -> None:
    ini, script = projects
    graph = script.graph
    expected = alembic_output(ini, lambda c: alembic_command.heads(c, verbose=True))
    assert printed([heads_entry(graph, rev, verbose=True) for rev in graph.heads]) == expected


@pytest.mark.parametrize("verbose", [False, True])
def test_history(projects: tuple[Path, ScriptDirectory], verbose: bool) -> None:
    ini, script = projects
    graph = script.graph
    expected = alembic_output(ini, lambda c: alembic_command.history(c, verbose=verbose))
    ours = printed([history_entry(graph, rev, verbose=verbose) for rev in graph.walk()])
    assert canonical(ours) == canonical(expected)


@pytest.mark.parametrize("verbose", [False, True])
def test_branches(projects: tuple[Path, ScriptDirectory], verbose: bool) -> None:
    ini, script = projects
    expected = alembic_output(ini, lambda c: alembic_command.branches(c, verbose=verbose))
    assert canonical(printed([branches_text(script.graph, verbose=verbose)])) == canonical(expected)


@pytest.mark.parametrize(
    "identifier",
    ["aaa111", "bbb222", "ccc333", "mmm999", "ddd444", "sss001", "sss002", "heads", "side@head"],
)
def test_show(projects: tuple[Path, ScriptDirectory], identifier: str) -> None:
    ini, script = projects
    graph = script.graph
    expected = alembic_output(ini, lambda c: alembic_command.show(c, identifier))
    ours = printed([verbose_block(graph, rev) for rev in graph.resolve(identifier)])
    assert canonical(ours) == canonical(expected)


def test_script_cmd_format_matches_alembic(projects: tuple[Path, ScriptDirectory]) -> None:
    from alembic.script import ScriptDirectory as AlembicScriptDirectory

    ini, script = projects
    theirs = AlembicScriptDirectory.from_config(AlembicConfig(str(ini)))
    for rev in script.graph.revisions:
        mine, reference = script.get_revision(rev), theirs.get_revision(rev)
        assert mine is not None and reference is not None
        for flags in [
            {},
            {"include_branches": True},
            {"include_doc": True, "include_parents": True, "include_branches": True},
            {"tree_indicators": False, "include_branches": True},
        ]:
            assert mine.cmd_format(False, **flags) == reference.cmd_format(False, **flags)
        assert canonical(mine.log_entry) == canonical(reference.log_entry)
        assert str(mine) == str(reference)


# -- forms Alembic only prints with a database; checked against ALEMBIC-FACTS ---------------


def fact_graph() -> RevisionGraph:
    def rev(
        rid: str,
        *parents: str,
        labels: tuple[str, ...] = (),
        deps: tuple[str, ...] = (),
        doc: str = "",
    ) -> Revision:
        return Revision(
            rid,
            parents,
            labels,
            deps,
            doc or f"{rid} message\n\nRevision ID: {rid}\n",
            f"/p/{rid}.py",
        )

    return RevisionGraph(
        [
            rev("aaa111", doc="create account table"),
            rev("bbb222", "aaa111", doc="add b"),
            rev("ccc111", "bbb222", doc="c one"),
            rev("ccc333", "bbb222", doc="c two splice"),
            rev("mmm999", "ccc111", "ccc333", doc="merge cs\n\nRevision ID: mmm999\n"),
            rev("ddd444", "mmm999", doc="ddd after merge"),
        ]
    )


def test_current_marker_in_history_line() -> None:
    graph = fact_graph()
    assert history_entry(graph, "mmm999", current=("mmm999",)) == (
        "ccc111, ccc333 -> mmm999 (current) (mergepoint), merge cs"
    )
    assert history_entry(graph, "ddd444", current=("ddd444",)) == (
        "mmm999 -> ddd444 (head) (current), ddd after merge"
    )


def test_current_line_and_verbose_marker() -> None:
    graph = fact_graph()
    assert short_line(graph, "mmm999") == "mmm999 (mergepoint)"
    assert verbose_block(graph, "mmm999", current=True) == (
        "Rev: mmm999 (mergepoint) (current)\n"
        "Merges: ccc111, ccc333\n"
        "Path: /p/mmm999.py\n"
        "\n"
        "    merge cs\n"
        "    \n"
        "    Revision ID: mmm999\n"
    )


def test_branches_text_empty_without_branch_points() -> None:
    graph = RevisionGraph([Revision("a1", (), (), (), "x", "/a1.py")])
    assert branches_text(graph) == ""
