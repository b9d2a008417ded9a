"""A LintReport as text (grouped by revision, colour on a terminal), JSON, or GitHub
workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Mapping

from distill.lint.engine import LintReport
from distill.lint.findings import Finding

FORMATS = ("text", "json", "github")

_COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m"}
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"


def render(report: LintReport, fmt: str, messages: Mapping[str, str], colour: bool) -> str:
    """The report in format `fmt`; `messages` maps revision ids to their messages."""
    if fmt == "json":
        return as_json(report)
    if fmt == "github":
        return as_github(report)
    return as_text(report, messages, colour)


def _summary(report: LintReport) -> str:
    errors = sum(1 for f in report.findings if f.severity == "error")
    warnings = len(report.findings) - errors
    count = len(report.revisions)
    checked = f"{count} revision{'' if count == 1 else 's'} checked"
    if not report.findings:
        return f"No findings; {checked}."
    return (
        f"{errors} error{'' if errors == 1 else 's'}, "
        f"{warnings} warning{'' if warnings == 1 else 's'}; {checked}."
    )


def as_text(report: LintReport, messages: Mapping[str, str], colour: bool) -> str:
    """Findings grouped under their revision, then a summary line."""
    lines: list[str] = []
    groups: dict[str | None, list[Finding]] = {}
    for finding in report.findings:
        groups.setdefault(finding.revision, []).append(finding)
    for revision, findings in groups.items():
        if revision is None:
            lines.append("history")
        else:
            message = messages.get(revision, "")
            lines.append(f"{revision} {message} ({findings[0].path})".replace("  ", " "))
        for finding in findings:
            severity: str = finding.severity
            if colour:
                severity = f"{_COLOURS[finding.severity]}{severity}{_RESET}"
            where = f"line {finding.line}: " if finding.line else ""
            lines.append(f"  {where}{severity} [{finding.rule}] {finding.reason}")
            alternative = f"instead: {finding.alternative}"
            lines.append(f"      {_DIM}{alternative}{_RESET}" if colour else f"      {alternative}")
    lines.append(_summary(report))
    return "\n".join(lines)


def as_json(report: LintReport) -> str:
    """One JSON document: the revisions checked, the findings, and the counts."""
    errors = sum(1 for f in report.findings if f.severity == "error")
    return json.dumps(
        {
            "revisions": list(report.revisions),
            "findings": [finding.as_dict() for finding in report.findings],
            "errors": errors,
            "warnings": len(report.findings) - errors,
        },
        indent=2,
    )


def as_github(report: LintReport) -> str:
    """One `::error` / `::warning` workflow command per finding."""
    lines = []
    for finding in report.findings:
        properties = []
        if finding.path:
            properties.append(f"file={_property(_relative(finding.path))}")
            if finding.line:
                properties.append(f"line={finding.line}")
        properties.append(f"title={_property(f'distill lint {finding.rule}')}")
        message = _data(f"{finding.reason}. Instead: {finding.alternative}")
        lines.append(f"::{finding.severity} {','.join(properties)}::{message}")
    lines.append(_summary(report))
    return "\n".join(lines)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _relative(path: str) -> str:
    """`path` relative to the working directory (the repository root in a workflow)."""
    import os

    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
