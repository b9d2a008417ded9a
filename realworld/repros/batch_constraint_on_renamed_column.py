"""SQLite: a batch renames a column, then names it in a new primary key and foreign key.

From apache-airflow 05234396c6fc (0041 rename dataset as asset; its downgrade renames
asset_id back to dataset_id, then creates dsdr_pkey and dsdr_dataset_fkey on dataset_id
in the same batch). Alembic looks the new constraints' columns up by their old names and
leaves both out without a word; distill creates them, as the revision does on PostgreSQL.
"""

STATUS = "deliberate (README: a SQLite batch creates a constraint on a column it renamed)."

BACKENDS = ("sqlite",)
REVISIONS = [
    (
        "r1",
        """
        op.create_table("dataset", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table("ref", sa.Column("dag_id", sa.String(10), nullable=False),
                        sa.Column("asset_id", sa.Integer, nullable=False),
                        sa.PrimaryKeyConstraint("asset_id", "dag_id", name="dsar_pkey"),
                        sa.ForeignKeyConstraint(["asset_id"], ["dataset.id"],
                                                name="dsar_asset_fkey"))
        """,
        "",
    ),
    (
        "r2",
        """
        with op.batch_alter_table("ref") as batch_op:
            batch_op.alter_column("asset_id", new_column_name="dataset_id", nullable=False)
            batch_op.drop_constraint("dsar_asset_fkey", type_="foreignkey")
            batch_op.create_primary_key("dsdr_pkey", ["dataset_id", "dag_id"])
            batch_op.create_foreign_key("dsdr_dataset_fkey", "dataset", ["dataset_id"], ["id"],
                                        ondelete="CASCADE")
        """,
        "",
    ),
]
