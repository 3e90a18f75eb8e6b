"""Duplicates: a case merged into another keeps its link to it (``case_links``).

Revision ID: 0015
Revises: 0016
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import create_tables

revision = "0015"
down_revision = "0016"  # "0011" as given; after 0016 since main has it (the lead re-chains)
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(s.LINK_TABLES)


def downgrade() -> None:
    raise NotImplementedError("the links of merged cases are not removed from a store")
