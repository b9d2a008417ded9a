"""The three output formats on a hand-made report."""

from __future__ import annotations

import json

from distill.lint.engine import LintReport
from distill.lint.findings import Finding
from distill.lint.formats import as_github, as_json, as_text

DROP = Finding(
    "drop-column",
    "error",
    "b2",
    "migrations/versions/b2.py",
    12,
    "drops column users.email: 100% gone",
    "drop it later",
)
HEADS = Finding("multiple-heads", "error", None, None, 0, "two heads, a1, b1", "merge them")
INDEX = Finding("index-not-concurrent", "warning", "b2", "migrations/versions/b2.py", 13, "x", "y")
REPORT = LintReport(("a1", "b2"), (HEADS, DROP, INDEX))


def test_text_groups_by_revision() -> None:
    text = as_text(REPORT, {"b2": "change users"}, colour=False)
    assert text.splitlines() == [
        "history",
        "  error [multiple-heads] two heads, a1, b1",
        "      instead: merge them",
        "b2 change users (migrations/versions/b2.py)",
        "  line 12: error [drop-column] drops column users.email: 100% gone",
        "      instead: drop it later",
        "  line 13: warning [index-not-concurrent] x",
        "      instead: y",
        "2 errors, 1 warning; 2 revisions checked.",
    ]


def test_text_colours_severities_on_a_terminal() -> None:
    text = as_text(REPORT, {"b2": "change users"}, colour=True)
    assert "\x1b[31merror\x1b[0m [drop-column]" in text
    assert "\x1b[33mwarning\x1b[0m [index-not-concurrent]" in text


def test_json_lists_revisions_findings_and_counts() -> None:
    printed = json.loads(as_json(REPORT))
    assert printed["revisions"] == ["a1", "b2"]
    assert (printed["errors"], printed["warnings"]) == (2, 1)
    assert printed["findings"][1] == DROP.as_dict()


def test_github_escapes_data_and_properties() -> None:
    lines = as_github(REPORT).splitlines()
    assert lines[0] == (
        "::error title=distill lint multiple-heads::two heads, a1, b1. Instead: merge them"
    )
    assert lines[1] == (
        "::error file=migrations/versions/b2.py,line=12,title=distill lint drop-column::"
        "drops column users.email: 100%25 gone. Instead: drop it later"
    )
    assert lines[-1] == "2 errors, 1 warning; 2 revisions checked."
