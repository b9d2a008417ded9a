"""Reading the failure distill attached to an exception a revision raised (helpers only)."""

from __future__ import annotations

from distill.errors import revision_failure


def failure_text(error: BaseException) -> str:
    """The one-line failure report attached to `error`; fails the test when there is none."""
    failure = revision_failure(error)
    assert failure is not None, f"no revision failure attached to {error!r}"
    return failure.message
