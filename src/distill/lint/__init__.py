"""`distill lint`: rules over the op objects a revision produces (recorded, no database
change), its raw SQL (parsed per dialect) and its source text."""

from __future__ import annotations

from distill.lint.engine import RULES, LintReport, lint_history, lint_revision
from distill.lint.findings import Finding, Rule

__all__ = ["RULES", "Finding", "LintReport", "Rule", "lint_history", "lint_revision"]
