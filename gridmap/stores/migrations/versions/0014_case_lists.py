"""Case lists: the index of who reported each case, for an officer's list (their grids'
cases and what they reported themselves, wherever it is).

Revision ID: 0014
Revises: 0013
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import add_columns

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_columns(s.incidents, [])  # no new column: its new index, ix_incidents_reporter


def downgrade() -> None:
    raise NotImplementedError("an index is not worth a downgrade")
