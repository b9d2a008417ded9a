"""SQLite: batch add_column of a column with a ForeignKey under a naming convention.

A pattern the "real projects" issue reported (mlflow-style batches with
naming_convention={"fk": ...}). With the convention on target_metadata, Alembic recreates
the table with a table-level CONSTRAINT fk_child_parent_id_parent ... ON DELETE SET NULL;
without one, it refuses the unnamed key with ValueError("Constraint must have a name").
"""

STATUS = "identical; tests/dialects/test_sqlite_column_constraints.py."

BACKENDS = ("sqlite", "postgresql")
CONFIGURE = {
    "target_naming_convention": {
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"
    }
}
REVISIONS = [
    (
        "r1",
        """
        op.create_table("parent", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table("child", sa.Column("id", sa.Integer, primary_key=True))
        """,
        "",
    ),
    (
        "r2",
        """
        with op.batch_alter_table("child") as batch_op:
            batch_op.add_column(
                sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id", ondelete="SET NULL"))
            )
        """,
        "",
    ),
]
