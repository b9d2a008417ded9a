"""Lint revisions: record each one's upgrade(), read its source, run every rule, and keep
the findings no allow comment silences."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Dialect

from distill.dialects.lint_profile import LintProfile, lint_profile_for
from distill.lint import rules_breaking, rules_locking, rules_naming, rules_revision
from distill.lint.findings import Finding, Hit, Rule
from distill.lint.from_ops import changes_from_ops
from distill.lint.recording import Recording, record
from distill.lint.revision_facts import RevisionFacts
from distill.lint.source import SourceFacts, read_source

if TYPE_CHECKING:
    from distill.scripts.directory import ScriptDirectory

_MODULES = (rules_breaking, rules_locking, rules_naming, rules_revision)

MULTIPLE_HEADS = Rule(
    "multiple-heads",
    "error",
    'merge them: distill merge heads -m "merge <what the branches did>"',
)

UNKNOWN_RULE = Rule(
    "unknown-rule",
    "warning",
    "name a rule as lint prints it in brackets, e.g. [drop-column]",
)

RULES: dict[str, Rule] = {rule.name: rule for module in _MODULES for rule in module.RULES} | {
    rule.name: rule for rule in (MULTIPLE_HEADS, UNKNOWN_RULE)
}


@dataclass(frozen=True)
class LintReport:
    """The revisions checked, in run order, and what was found."""

    revisions: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def failed(self) -> bool:
        """Whether an error-severity rule fired."""
        return any(finding.severity == "error" for finding in self.findings)


def lint_history(
    script: ScriptDirectory,
    revisions: Sequence[str],
    dialect: Dialect,
    opts: Mapping[str, Any],
) -> LintReport:
    """Lint `revisions` (run order) of the project, and the history's heads."""
    found: list[Finding] = []
    heads = tuple(script.graph.heads)
    if len(heads) > 1:
        found.append(
            Finding(
                MULTIPLE_HEADS.name,
                MULTIPLE_HEADS.severity,
                None,
                None,
                0,
                f"the history has {len(heads)} heads ({', '.join(heads)}): `upgrade head` "
                "refuses to run",
                MULTIPLE_HEADS.alternative,
            )
        )
    for rev_id in revisions:
        found.extend(lint_revision(script, rev_id, dialect, opts))
    return LintReport(tuple(revisions), tuple(found))


def lint_revision(
    script: ScriptDirectory, rev_id: str, dialect: Dialect, opts: Mapping[str, Any]
) -> list[Finding]:
    """The findings of one revision (allow comments applied), by line."""
    revision = script.graph.revisions[rev_id]
    path = revision.path
    profile = lint_profile_for(dialect)
    with script.project_sys_path():
        source = read_source(Path(path).read_text(encoding="utf-8"), path)
        recording = _record(script, rev_id, dialect, opts)
    facts = _facts(rev_id, path, revision.doc, recording, source, profile, dialect, opts)
    findings = [_finding(facts, hit) for hit in (*_hits(facts), *_unknown_rules(source))]
    kept = [f for f in findings if not _silenced(f, source)]
    return sorted(kept, key=lambda finding: (finding.line, finding.rule))


def _record(
    script: ScriptDirectory, rev_id: str, dialect: Dialect, opts: Mapping[str, Any]
) -> Recording:
    """Import the revision and record its upgrade(); an import failure is a failure."""
    try:
        module = script.load_module(rev_id)
    except Exception as error:  # the project's own module: anything can come out
        return Recording((), (0, f"{type(error).__name__} on import: {error}"))
    return record(module, "upgrade", dialect, opts)


def _facts(
    rev_id: str,
    path: str,
    message: str,
    recording: Recording,
    source: SourceFacts,
    profile: LintProfile,
    dialect: Dialect,
    opts: Mapping[str, Any],
) -> RevisionFacts:
    changes = [
        replace(change, line=source.statement_start(change.line))
        for change in changes_from_ops(recording.ops, profile, dialect, opts)
    ]
    target = opts.get("target_metadata")
    return RevisionFacts(
        revision=rev_id,
        path=path,
        message=message.strip().splitlines()[0] if message.strip() else "",
        changes=tuple(changes),
        op_count=len(recording.ops),
        profile=profile,
        source=source,
        naming_convention=dict(getattr(target, "naming_convention", None) or {}),
        failure=recording.failure,
        upgrade_line=_upgrade_line(path),
    )


def _upgrade_line(path: str) -> int:
    """The line of `def upgrade`, for findings about the whole function."""
    for number, text in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if text.startswith("def upgrade"):
            return number
    return 1


def _hits(facts: RevisionFacts) -> Iterator[Hit]:
    seen: set[tuple[str, int, str]] = set()
    for module in _MODULES:
        for hit in module.check(facts):
            key = (hit.rule, hit.line, hit.reason)
            if key not in seen:
                seen.add(key)
                yield hit


def _unknown_rules(source: SourceFacts) -> Iterator[Hit]:
    """Allow comments naming a rule that does not exist (a typo silences nothing)."""
    for line, names in sorted(source.allows.items()):
        for name in sorted(names - RULES.keys()):
            yield Hit("unknown-rule", line, f"the allow comment names {name!r}, no lint rule")


def _finding(facts: RevisionFacts, hit: Hit) -> Finding:
    rule = RULES[hit.rule]
    return Finding(
        rule.name, rule.severity, facts.revision, facts.path, hit.line, hit.reason, rule.alternative
    )


def _silenced(finding: Finding, source: SourceFacts) -> bool:
    if RULES[finding.rule].file_level and source.allowed_anywhere(finding.rule):
        return True
    return source.allowed(finding.rule, finding.line)
