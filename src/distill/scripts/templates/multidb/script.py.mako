<%!
    from distill.scripts.writer import import_block

    def database_names(config):
        """The names listed in the `databases` option of the config."""
        text = config.get_main_option("databases", "") or ""
        return [name.strip() for name in text.split(",") if name.strip()]
%>"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from collections.abc import Sequence

${import_block("import sqlalchemy as sa", imports)}

from distill import op

# Revision identifiers: distill reads these lines without importing the file.
revision: str = ${repr(up_revision)}
down_revision: str | Sequence[str] | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade(engine_name: str) -> None:
    """Apply this revision to the database `engine_name`."""
    globals()[f"upgrade_{engine_name}"]()


def downgrade(engine_name: str) -> None:
    """Revert this revision on the database `engine_name`."""
    globals()[f"downgrade_{engine_name}"]()

% for name in database_names(config):


def upgrade_${name}() -> None:
    """Apply this revision to ${name}."""
    ${context.get(f"{name}_upgrades", "pass")}


def downgrade_${name}() -> None:
    """Revert this revision on ${name}."""
    ${context.get(f"{name}_downgrades", "pass")}
% endfor
