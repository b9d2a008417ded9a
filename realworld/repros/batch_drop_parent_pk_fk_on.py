"""SQLite, foreign keys on: a batch drops the primary key a child's FK refers to; the next
batch gives the same columns a UNIQUE constraint again.

From apache-airflow d59cbbef95eb (0042, UUID primary key for task_instance:
task_instance_pkey is dropped in one batch, task_instance_composite_key added in the
next; task_instance_note still references the composite columns in between).
"""

STATUS = "identical; tests/operations/test_batch_realworld_keys.py."

BACKENDS = ("sqlite",)
CONFIGURE = {"render_as_batch": True, "transaction_per_migration": True}
SQLITE_FOREIGN_KEYS = True  # as Airflow's engine sets
REVISIONS = [
    (
        "r1",
        """
        op.create_table("ti", sa.Column("dag_id", sa.String(20), nullable=False),
                        sa.Column("task_id", sa.String(20), nullable=False),
                        sa.Column("id", sa.String(36)),
                        sa.PrimaryKeyConstraint("dag_id", "task_id", name="ti_pkey"))
        op.create_table("ti_note", sa.Column("dag_id", sa.String(20), nullable=False),
                        sa.Column("task_id", sa.String(20), nullable=False),
                        sa.Column("content", sa.String(50)),
                        sa.PrimaryKeyConstraint("dag_id", "task_id", name="ti_note_pkey"),
                        sa.ForeignKeyConstraint(["dag_id", "task_id"], ["ti.dag_id", "ti.task_id"],
                                                name="ti_note_ti_fkey"))
        """,
        "",
    ),
    (
        "r2",
        """
        with op.batch_alter_table("ti") as batch_op:
            batch_op.drop_constraint("ti_pkey", type_="primary")
        with op.batch_alter_table("ti") as batch_op:
            batch_op.alter_column("id", existing_type=sa.String(36), nullable=False)
            batch_op.create_unique_constraint("ti_composite_key", ["dag_id", "task_id"])
            batch_op.create_primary_key("ti_pkey", ["id"])
        """,
        "",
    ),
]
