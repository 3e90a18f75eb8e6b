"""The scheduler and notifications: the lease of who runs the tick, the outbox of messages
to send, the notices already given, people's contacts and channels, and the index of the
cases whose clock runs towards an escalation.

Revision ID: 0010
Revises: 0009
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import add_columns, create_tables

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tables(s.SCHEDULER_TABLES)
    add_columns(s.incidents, [])  # no new column: its new index, ix_incidents_escalate


def downgrade() -> None:
    raise NotImplementedError("the outbox and contacts are not removed from a store")
