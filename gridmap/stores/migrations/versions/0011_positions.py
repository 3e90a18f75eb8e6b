"""Positions have one source, the geometry: what derives from it (incidents' lon/lat,
the areas version lookups are keyed by, a positions version) is kept by triggers, so
that edits made in QGIS or with GDAL are seen; every feature table gets its QGIS style;
the store names itself and its revision in its own metadata (``ensure`` writes it).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import context

from gridmap.stores import schema as s

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    store = context.config.attributes["store"]
    have = {r[0] for r in store._run(sa.select(s.meta.c.key)).all()}
    if "positions_version" not in have:
        store._run(sa.insert(s.meta).values(key="positions_version", value="0"))
    for table in s.FEATURE_TABLES:
        store.keep_derived(table, table)
    for layer in store.layers():
        name = s.area_table_name(layer.name)
        store.keep_derived(name, f"{layer.title_en} ({layer.title_zh})")


def downgrade() -> None:
    raise NotImplementedError("derived values are not left to drift again")
