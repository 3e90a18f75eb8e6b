"""Plans record their author and the rules they are checked against.

Revision ID: 0006
Revises: 0005
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import add_columns

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_columns(s.plans, s.PLAN_COLUMNS)


def downgrade() -> None:
    raise NotImplementedError("plan columns are not removed from a store")
