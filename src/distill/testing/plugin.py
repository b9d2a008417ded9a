"""distill's pytest plugin (a `pytest11` entry point): fixtures only, so installing distill
changes no test suite. A project enables the ready tests with one line in its top-level
conftest.py: `pytest_plugins = ["distill.testing.ready_tests"]`.

Fixtures (override any of them in conftest.py):
- `distill_config`: the project's Config (distill.ini / alembic.ini / pyproject.toml in
  the rootdir);
- `distill_scratch_url`: an empty scratch database, a new SQLite file per test by
  default (return a PostgreSQL or MySQL URL of an empty database to test there);
- `distill_runner`: a HistoryRunner on the two (upgrade, downgrade, snapshot, steps).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from distill.config import Config
    from distill.testing.runner import HistoryRunner


@pytest.fixture
def distill_config(request: pytest.FixtureRequest) -> Config:
    """The project's Config, from the config file in the rootdir."""
    from distill.config import DEFAULT_INI_FILES, find_config

    root: Path = request.config.rootpath
    files = [str(root / name) for name in DEFAULT_INI_FILES if (root / name).is_file()][:1]
    if not files and (root / "pyproject.toml").is_file():
        files = [str(root / "pyproject.toml")]
    return find_config(files, None, None, must_exist=True, quiet=True)


@pytest.fixture
def distill_scratch_url(tmp_path: Path) -> str:
    """An empty database for one test: a new SQLite file."""
    from distill.dialects import file_database

    return file_database.scratch_url(tmp_path / "distill-scratch.db")


@pytest.fixture
def distill_runner(distill_config: Config, distill_scratch_url: str) -> HistoryRunner:
    """Runs the project's env.py on the scratch database, one step at a time."""
    from distill.testing.runner import HistoryRunner

    return HistoryRunner(distill_config, distill_scratch_url)
