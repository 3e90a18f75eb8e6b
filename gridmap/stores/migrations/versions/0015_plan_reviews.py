"""Plans submitted for approval: each step (submitted, returned with a note, published)
one row of ``plan_reviews``.

Revision ID: 0015
Revises: 0014
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import create_tables

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(s.REVIEW_TABLES)


def downgrade() -> None:
    raise NotImplementedError("the plans' review steps are not removed from a store")
