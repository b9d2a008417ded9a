"""The benchmark suite: distill against Alembic on the same generated projects."""
