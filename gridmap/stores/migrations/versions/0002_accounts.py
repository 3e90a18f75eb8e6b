"""Accounts and the audit trail: users, their API tokens, every change recorded.

Revision ID: 0002
Revises: 0001
"""

from alembic import context

from gridmap.stores import schema as s

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    store = context.config.attributes["store"]
    for name, description in s.ACCOUNT_TABLES.items():
        # Created from schema.py as it stands: these tables were born in this revision.
        s.metadata.tables[name].create(store._conn)
        store.register_attributes(name, description)


def downgrade() -> None:
    raise NotImplementedError("accounts are not removed from a store")
