"""Plans submitted for approval: each step (submitted, returned with a note, published)
one row of ``plan_reviews``.

Revision ID: 0017
Revises: 0016
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import create_tables

revision = "0017"
down_revision = "0016"  # "0011" on the branch; re-chained after main's 0016
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(s.REVIEW_TABLES)


def downgrade() -> None:
    raise NotImplementedError("the plans' review steps are not removed from a store")
