"""SQLite: a batch rebuild of a table whose index was created by raw SQL with DESC.

From apache-airflow 0086 (CREATE INDEX idx_task_reschedule_ti_id_id_desc ON
task_reschedule (ti_id, id DESC) through op.execute, then a batch on task_reschedule).
Alembic recreates the index from reflection and loses DESC; distill keeps the stored
definition (README: SQLite batch rebuilds keep each index as created).
"""

STATUS = "deliberate (README: SQLite batch rebuilds keep each index as created)."

BACKENDS = ("sqlite",)
REVISIONS = [
    (
        "r1",
        """
        op.create_table("task_reschedule", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("ti_id", sa.String(36), nullable=False),
                        sa.Column("note", sa.String(10)))
        op.execute("CREATE INDEX idx_ti_id_id_desc ON task_reschedule (ti_id, id DESC)")
        """,
        "",
    ),
    (
        "r2",
        """
        with op.batch_alter_table("task_reschedule", recreate="always") as batch_op:
            batch_op.alter_column("note", type_=sa.String(20))
        """,
        "",
    ),
]
