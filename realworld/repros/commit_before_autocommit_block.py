"""PostgreSQL: op.get_bind().commit() before autocommit_block(), one transaction per revision.

A pattern the "real projects" issue reported (CREATE INDEX CONCURRENTLY after
committing the revision's work by hand).
"""

STATUS = "identical; tests/runtime/test_runtime_connection_commits.py."

BACKENDS = ("postgresql",)
CONFIGURE = {"transaction_per_migration": True}
REVISIONS = [
    (
        "r1",
        """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("name", sa.String(20)))
        op.execute("INSERT INTO t (name) VALUES ('a')")
        op.get_bind().commit()
        with op.get_context().autocommit_block():
            op.execute("CREATE INDEX CONCURRENTLY ix_t_name ON t (name)")
        """,
        "",
    ),
    ("r2", 'op.add_column("t", sa.Column("extra", sa.Integer))', ""),
]
