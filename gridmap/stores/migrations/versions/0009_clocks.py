"""Two clocks and early warnings: incidents gain their clock's kind (working or natural
time) and when they are due soon (warn_utc, indexed); a city's clock and limit per
category are stored as data.

Revision ID: 0009
Revises: 0006
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import add_columns, create_tables

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_columns(s.incidents, s.CLOCK_COLUMNS)
    create_tables(s.CLOCK_TABLES)


def downgrade() -> None:
    raise NotImplementedError("clock columns are not removed from a store")
