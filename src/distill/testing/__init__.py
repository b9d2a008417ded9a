"""`distill test` and the pytest plugin: prove a history on a scratch database.

`test_history(config)` runs every check in order (single head; for every revision
upgrade, downgrade, upgrade with the schema compared; the models at head; down to base)
on a temporary SQLite file, or on the empty database given as `url`; the first failure
raises CheckFailed naming the check, the revision and the schema difference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from distill.errors import DistillError

if TYPE_CHECKING:
    from distill.config import Config
    from distill.testing.checks import CheckFailed

__all__ = ["CheckFailed", "test_history"]

Say = Callable[[str], None]


def __getattr__(name: str) -> Any:
    """CheckFailed loads with the checks, so the pytest plugin's import stays light."""
    if name == "CheckFailed":
        from distill.testing.checks import CheckFailed

        return CheckFailed
    raise AttributeError(name)


def _print(line: str) -> None:
    print(line)


def test_history(
    config: Config, url: str | None = None, *, allow_configured: bool = False, say: Say = _print
) -> None:
    """Prove the project's history on a scratch database; raise CheckFailed on the first fault."""
    from distill.testing import checks
    from distill.testing.runner import HistoryRunner, ScratchDatabase

    configured = config.get_main_option("sqlalchemy.url")
    if url is not None and not allow_configured and _same_url(url, configured):
        raise DistillError(
            "--url names the database configured in sqlalchemy.url; distill test migrates "
            "its database up and down, so give a scratch database (or pass "
            "--allow-configured-database if that database really is disposable)"
        )
    scratch = ScratchDatabase(url)
    try:
        runner = HistoryRunner(config, scratch.url)
        from distill.config import mask_url

        say(f"scratch database: {mask_url(scratch.url)}")
        checks.single_head(runner, say)
        checks.require_empty(runner)
        befores = checks.stairway(runner, say)
        checks.model_match(runner, say)
        checks.up_down_consistency(runner, say, befores)
    finally:
        scratch.close()


def _same_url(url: str, configured: str | None) -> bool:
    """True when two URLs name the same database."""
    if not configured:
        return False
    from sqlalchemy.engine import make_url

    from distill.dialects import file_database

    one, other = make_url(url), make_url(configured)
    one_file, other_file = file_database.database_file(one), file_database.database_file(other)
    if one_file is not None or other_file is not None:
        return one_file == other_file
    return one.render_as_string(hide_password=False) == other.render_as_string(hide_password=False)
