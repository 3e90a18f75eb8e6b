"""The unified schema: one description (gridmap/stores/schema.py) for both stores, an
integer key on every table, typed geometry columns, R-tree / GiST spatial indexes, areas
in one feature table per layer, generations with effective dates.

New stores are created from schema.py and stamped with the newest revision; stores made
by gridmap 0.1 are converted by ``legacy.py``.  Later revisions change both stores
through Alembic's operations, written once.

Revision ID: 0001
Revises:
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the baseline: nothing before it but the 0.1 layouts legacy.py converts


def downgrade() -> None:
    raise NotImplementedError("the unified schema has no earlier revision to go back to")
