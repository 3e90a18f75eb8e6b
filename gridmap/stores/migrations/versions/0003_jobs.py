"""Background jobs in the store: every server process sees them, limits count them, and
a restart marks the ones it lost as interrupted.

Revision ID: 0003
Revises: 0002
"""

from alembic import context

from gridmap.stores import schema as s

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    store = context.config.attributes["store"]
    for name, description in s.JOB_TABLES.items():
        s.metadata.tables[name].create(store._conn)
        store.register_attributes(name, description)


def downgrade() -> None:
    raise NotImplementedError("jobs are not removed from a store")
