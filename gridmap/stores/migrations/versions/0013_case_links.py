"""Duplicates: a case merged into another keeps its link to it (``case_links``).

Revision ID: 0013
Revises: 0012
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import create_tables

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(s.LINK_TABLES)


def downgrade() -> None:
    raise NotImplementedError("the links of merged cases are not removed from a store")
