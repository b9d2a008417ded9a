"""SQLite: a batch that changes a parent's primary key while a child's FK still names the old key.

From mlflow 1b5f0d9ad7c1 (add workspace columns): registered_models gets a composite
primary key in one batch; model_versions' foreign key is redone in the next batch.
"""

STATUS = "identical; tests/operations/test_batch_realworld_keys.py."

BACKENDS = ("sqlite",)
CONFIGURE = {"render_as_batch": True}
REVISIONS = [
    (
        "r1",
        """
        op.create_table("parent", sa.Column("name", sa.String(50), nullable=False),
                        sa.PrimaryKeyConstraint("name", name="parent_pk"))
        op.create_table("child", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("parent_name", sa.String(50)),
                        sa.ForeignKeyConstraint(["parent_name"], ["parent.name"],
                                                name="fk_child_parent"))
        """,
        "",
    ),
    (
        "r2",
        """
        with op.batch_alter_table("parent") as batch_op:
            batch_op.add_column(sa.Column("ws", sa.String(10), nullable=False, server_default="x"))
            batch_op.drop_constraint("parent_pk", type_="primary")
            batch_op.create_primary_key("parent_pk", ["ws", "name"])
        with op.batch_alter_table("child") as batch_op:
            batch_op.add_column(sa.Column("ws", sa.String(10), nullable=False, server_default="x"))
            batch_op.drop_constraint("fk_child_parent", type_="foreignkey")
            batch_op.create_foreign_key("fk_child_parent", "parent",
                                        ["ws", "parent_name"], ["ws", "name"])
        """,
        "",
    ),
]
