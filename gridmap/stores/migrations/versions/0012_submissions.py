"""Idempotency keys: a report or an inspection sent again with the key of one already
made (an officer's phone that never heard the first answer) is answered with that
record instead of making a second one.

Revision ID: 0012
Revises: 0011
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import create_tables

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(s.SUBMISSION_TABLES)


def downgrade() -> None:
    raise NotImplementedError("idempotency keys are not removed from a store")
