"""The `distill` command line: parse, call command.py, print. No logic of its own."""

from distill.cli import checks, fleet, history, migrate, project  # noqa: F401  (registers them)
from distill.cli.app import main

__all__ = ["main"]
