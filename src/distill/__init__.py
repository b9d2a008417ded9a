"""distill: database schema migrations for SQLAlchemy 2, a faster and safer drop-in for Alembic."""

__version__ = "0.1.0"
