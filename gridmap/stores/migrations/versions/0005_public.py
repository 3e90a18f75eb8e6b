"""The public channel: Open311 client apps' keys and the public's reports with their
tracking numbers.

Revision ID: 0005
Revises: 0004
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import create_tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(s.PUBLIC_TABLES)


def downgrade() -> None:
    raise NotImplementedError("the public's reports are not removed from a store")
