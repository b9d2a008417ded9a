"""Python API: an exception raised inside a revision reaches the caller with another type.

A pattern the "real projects" issue reported: applications run `command.upgrade(cfg,
"head")` and catch what their revisions raise (KeyError for a missing setting here).
Alembic lets the revision's exception through; distill raises MigrationError.
"""

STATUS = "open: issue 8 item 4, another branch (revision errors keep their type)."

BACKENDS = ("sqlite",)
THROUGH_API = True
REVISIONS = [
    (
        "r1",
        """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        raise KeyError("missing-setting")
        """,
        "",
    ),
]
