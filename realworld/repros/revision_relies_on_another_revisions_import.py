"""A revision uses a submodule that only a later revision file imports.

From prefect 9725c1cbee35 / 25f4b90a7a42 (the initial migrations do `import prefect` and
use prefect.server.utilities.database.UUID; later revision files import that module
at their top). Alembic imports every revision file before running any, so the
attribute exists; distill reads headers and imports only the files it runs, so the
first revision fails with AttributeError. Prefect's own env.py imports the module
itself, which hides this in Prefect; any history with the same habit fails.
"""

STATUS = (
    "identical (a run imports its files up front); tests/parity/"
    "test_parity_revision_imports.py; README: a run imports only its own revision files."
)

BACKENDS = ("sqlite",)
REVISIONS = [
    (
        "r1",
        """
        import xml
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("doc", sa.Text))
        op.execute(sa.text("INSERT INTO t (doc) VALUES (:d)").bindparams(
            d=xml.dom.minidom.parseString("<a/>").toxml()))
        """,
        "",
    ),
    ("r2", "pass", "", "import xml.dom.minidom  # noqa: F401\n"),
]
