"""A revision catches ValueError around batch drop_constraint of a constraint that is gone.

From apache-airflow 05234396c6fc (0041 rename dataset as asset, _drop_fkey_if_exists):
Alembic raises ValueError("No such constraint: ...") and the revision goes on; distill
raises an error that is not a ValueError, so the revision fails.
"""

STATUS = "identical; tests/operations/test_exception_types.py."

BACKENDS = ("sqlite",)
REVISIONS = [
    (
        "r1",
        """
        op.create_table("parent", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table("child", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("parent_id", sa.Integer))
        """,
        "",
    ),
    (
        "r2",
        """
        try:
            with op.batch_alter_table("child") as batch_op:
                batch_op.drop_constraint("child_parent_id_fkey", type_="foreignkey")
        except ValueError:
            pass
        op.create_table("after", sa.Column("id", sa.Integer, primary_key=True))
        """,
        "",
    ),
]
