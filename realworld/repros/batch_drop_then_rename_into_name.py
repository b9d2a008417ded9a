"""SQLite: one batch drops column `value`, then renames `json_value` to `value`.

From prefect 2ac65f1758c2 (json variables). Alembic's batch applies the operations in
order to one rebuilt table; distill runs the rename against a table that still has
`value` (duplicate column name).
"""

STATUS = "identical; tests/operations/test_batch_realworld_patterns.py."

BACKENDS = ("sqlite",)
REVISIONS = [
    (
        "r1",
        """
        op.create_table("variable", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("name", sa.String(50), nullable=False),
                        sa.Column("value", sa.String(50)))
        op.execute("INSERT INTO variable (name, value) VALUES ('a', 'x')")
        """,
        "",
    ),
    (
        "r2",
        """
        op.add_column("variable", sa.Column("json_value", sa.JSON, nullable=True))
        op.execute("UPDATE variable SET json_value = '\\"' || value || '\\"'")
        with op.batch_alter_table("variable") as batch_op:
            batch_op.drop_column("value")
            batch_op.alter_column("json_value", new_column_name="value")
        """,
        "",
    ),
]
