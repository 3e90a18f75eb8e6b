"""The case loop: departments, routing rules, each case's steps and photos, hazard
inspections, local calendar days; incidents gain their department, zone and deadline
clock.

Revision ID: 0004
Revises: 0003
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import add_columns, create_tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from alembic import op

    add_columns(s.incidents, s.CASE_COLUMNS)
    create_tables(s.CASE_TABLES)
    op.get_context().config.attributes["store"].recount_incidents()


def downgrade() -> None:
    raise NotImplementedError("cases are not removed from a store")
