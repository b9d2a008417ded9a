"""The real-world parity suite: published Alembic histories run under Alembic and distill."""
