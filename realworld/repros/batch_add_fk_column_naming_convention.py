"""SQLite: batch add_column of a column with a ForeignKey under a naming convention.

A pattern the "real projects" issue reported (mlflow-style batches with
naming_convention={"fk": ...}).
"""

BACKENDS = ("sqlite", "postgresql")
PREAMBLE = """
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
"""
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
        with op.batch_alter_table("child", naming_convention=NAMING) as batch_op:
            batch_op.add_column(sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id")))
        """,
        "",
    ),
]
