"""`distill demo`: the whole workflow runs and shows each step, on every backend."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def run_demo(tmp_path: Path, *args: str) -> str:
    """Run the demo in a subprocess; return its stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "distill", "demo", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_demo_on_sqlite_shows_every_step(tmp_path: Path) -> None:
    out = run_demo(tmp_path)
    for step in (
        "$ distill init migrations",
        '$ distill revision -m "create user post product"',
        "$ distill upgrade head",
        "$ distill downgrade -1",
        "$ distill downgrade base",
    ):
        assert step in out
    assert "mug: price=9.5 price_cents=950" in out
    assert "models.py: SQLModel User, Post, Product" in out  # SQLModel is a dev dependency
    assert "table product(id, name, price): 3 row(s)" in out  # after downgrade -1
    assert out.rstrip().splitlines()[-2].strip() == "table alembic_version(version_num): 0 row(s)"


def test_demo_against_postgresql_and_mariadb(tmp_path: Path, pg_url: str, mysql_url: str) -> None:
    for url in (pg_url, mysql_url):
        out = run_demo(tmp_path, "--url", url)
        assert "sticker: price=1.25 price_cents=125" in out
        assert "table product(id, name, price): 3 row(s)" in out


def test_demo_on_a_plain_install_without_sqlmodel(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(CHECKOUT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    python = str(venv / "bin" / "python")
    missing = subprocess.run([python, "-c", "import sqlmodel"], capture_output=True, timeout=60)
    assert missing.returncode != 0, "a plain install must not bring SQLModel"
    result = subprocess.run(
        [str(venv / "bin" / "distill"), "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "models.py: SQLAlchemy User, Post, Product" in result.stdout
    assert "mug: price=9.5 price_cents=950" in result.stdout
    assert "Traceback" not in result.stderr
