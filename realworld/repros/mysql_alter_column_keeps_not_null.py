"""MariaDB/MySQL: alter_column without existing_nullable on a NOT NULL column.

From mlflow 5d2d30f0abce (rename jobs.function_fullname to job_name, existing_type only)
and optuna v1.2.0.a (trials.state Enum widened, existing_type only). Alembic writes
MODIFY/CHANGE ... NULL and the column becomes nullable; distill reads the live column
and keeps NOT NULL (a deliberate difference, README "MySQL/MariaDB alter_column").
"""

STATUS = "deliberate (README: MySQL/MariaDB alter_column)."

BACKENDS = ("mysql",)
REVISIONS = [
    (
        "r1",
        """
        op.create_table("jobs", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("function_fullname", sa.String(500), nullable=False),
                        sa.Column("state", sa.Enum("A", "B", name="st"), nullable=False))
        """,
        "",
    ),
    (
        "r2",
        """
        with op.batch_alter_table("jobs") as batch_op:
            batch_op.alter_column("function_fullname", new_column_name="job_name",
                                  existing_type=sa.String(500))
            batch_op.alter_column("state", type_=sa.Enum("A", "B", "C", name="st"),
                                  existing_type=sa.Enum("A", "B", name="st"))
        """,
        "",
    ),
]
