"""The monthly evaluation's indexes: a month's cases with the columns it counts
(``ix_incidents_month``) and each case's escalations and returns
(``ix_case_events_judged``), so that a month of a million-case store is counted from
indexes (benchmarks/evaluation_bench.py).

Revision ID: 0016
Revises: 0015
"""

from gridmap.stores import schema as s
from gridmap.stores.migrations import add_columns

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_columns(s.incidents, [])  # no new column: the index ix_incidents_month
    add_columns(s.case_events, [])  # and ix_case_events_judged


def downgrade() -> None:
    raise NotImplementedError("indexes are not removed from a store")
