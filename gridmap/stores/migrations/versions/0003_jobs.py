"""Background jobs in the store: every server process sees them, limits count them, and
a restart marks the ones it lost as interrupted.

Revision ID: 0003
Revises: 0002
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import create_tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(s.JOB_TABLES)


def downgrade() -> None:
    raise NotImplementedError("jobs are not removed from a store")
