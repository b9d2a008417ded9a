"""SQLite: batch on a table whose key, referenced by another table, is a UNIQUE INDEX.

From apache-airflow 5a5d66100783 (0038 add asset_active): asset_active(name, uri)
references dataset(name, uri), which is unique only through the index
idx_dataset_name_uri_unique; then dataset drops a column in batch mode.
"""

STATUS = "identical; tests/operations/test_batch_realworld_keys.py."

BACKENDS = ("sqlite",)
CONFIGURE = {"render_as_batch": True, "transaction_per_migration": True}
SQLITE_FOREIGN_KEYS = True  # as Airflow's engine sets
REVISIONS = [
    (
        "r1",
        """
        op.create_table("dataset", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("name", sa.String(50), nullable=False),
                        sa.Column("uri", sa.String(50), nullable=False),
                        sa.Column("is_orphaned", sa.Boolean, nullable=False, server_default="0"))
        op.create_index("idx_dataset_name_uri_unique", "dataset", ["name", "uri"], unique=True)
        op.create_table("asset_active", sa.Column("name", sa.String(50), nullable=False),
                        sa.Column("uri", sa.String(50), nullable=False),
                        sa.PrimaryKeyConstraint("name", "uri", name="asset_active_pkey"),
                        sa.ForeignKeyConstraint(["name", "uri"], ["dataset.name", "dataset.uri"],
                                                name="asset_active_fkey"))
        """,
        "",
    ),
    (
        "r2",
        """
        with op.batch_alter_table("dataset") as batch_op:
            batch_op.drop_column("is_orphaned")
        """,
        "",
    ),
]
