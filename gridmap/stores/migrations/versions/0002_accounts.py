"""Accounts and the audit trail: users, their API tokens, every change recorded.

Revision ID: 0002
Revises: 0001
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import create_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(s.ACCOUNT_TABLES)


def downgrade() -> None:
    raise NotImplementedError("accounts are not removed from a store")
