"""SQLite: one batch drops an indexed column and adds it back; the index should survive.

From mlflow 75868b020152 (spans.duration_ns, a generated column indexed by
index_spans_experiment_id_duration, is dropped and re-added in one batch). Alembic
recreates every index whose columns exist after the batch; distill loses it.
"""

STATUS = "identical; tests/operations/test_batch_realworld_patterns.py."

BACKENDS = ("sqlite",)
REVISIONS = [
    (
        "r1",
        """
        op.create_table("spans", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("experiment_id", sa.Integer, nullable=False),
                        sa.Column("duration_ns", sa.BigInteger),
                        sa.Column("extra", sa.Text))
        op.create_index("index_spans_experiment_id_duration", "spans",
                        ["experiment_id", "duration_ns"])
        """,
        "",
    ),
    (
        "r2",
        """
        with op.batch_alter_table("spans") as batch_op:
            batch_op.drop_column("duration_ns")
            batch_op.drop_column("extra")
            batch_op.add_column(sa.Column("duration_ns", sa.BigInteger))
        """,
        "",
    ),
]
