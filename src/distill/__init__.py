"""distill: database schema migrations for SQLAlchemy 2, a faster and safer drop-in for Alembic."""

__version__ = "0.1.0"


def install_as_alembic() -> None:
    """Make every later `import alembic` in this process resolve to distill.

    For applications and tools that import Alembic themselves (Flask-Migrate,
    pytest-alembic): call it once, before they run, e.g. first thing in `conftest.py`.
    """
    from distill import compat

    compat.install_as_alembic()
