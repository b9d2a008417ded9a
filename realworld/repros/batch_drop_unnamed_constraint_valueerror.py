"""SQLite: batch_op.drop_constraint(None, type_="unique") inside `except ValueError`.

A pattern the "real projects" issue reported: Alembic refuses a constraint without a
name with ValueError, which the revision catches and goes on.
"""

STATUS = "identical; tests/operations/test_exception_types.py."

BACKENDS = ("sqlite",)
REVISIONS = [
    (
        "r1",
        """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("name", sa.String(20)), sa.UniqueConstraint("name"))
        """,
        "",
    ),
    (
        "r2",
        """
        try:
            with op.batch_alter_table("t") as batch_op:
                batch_op.drop_constraint(None, type_="unique")
        except ValueError:
            pass
        op.add_column("t", sa.Column("extra", sa.Integer))
        """,
        "",
    ),
]
