"""Server-side sessions, store-kept rate limits and token expiry.

Revision ID: 0007
Revises: 0006
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import add_columns, create_tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(s.SESSION_TABLES)
    add_columns(s.tokens, s.TOKEN_COLUMNS)


def downgrade() -> None:
    raise NotImplementedError("sessions and token expiry are not removed from a store")
