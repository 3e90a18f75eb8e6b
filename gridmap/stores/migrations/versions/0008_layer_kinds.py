"""Layers have kinds beyond the hierarchy and zones (reference layers) and may be retired.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from gridmap.stores import schema as s
from gridmap.stores.migrations import add_columns

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_columns(s.layers, s.LAYER_COLUMNS)
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.drop_constraint("layers_kind", "layers", type_="check")
        op.create_check_constraint("layers_kind", "layers", s.LAYER_KINDS_CHECK)
        return
    # SQLite cannot alter a constraint, and copying the table would break the officers'
    # foreign key to it: widen the CHECK in the stored definition, as SQLite's manual
    # describes for changes that leave every stored row valid ("Making Other Kinds Of
    # Table Schema Changes").  A store converted from 0.1 already has the new CHECK.
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'layers'"
    ).scalar_one()
    if s.LAYER_KINDS_CHECK in sql:
        return
    if sql.count(s.LAYER_KINDS_CHECK_0001) != 1:
        raise RuntimeError(f"unexpected definition of the layers table: {sql}")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        conn.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'layers'",
            (sql.replace(s.LAYER_KINDS_CHECK_0001, s.LAYER_KINDS_CHECK),),
        )
        conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    if conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() != "ok":
        raise RuntimeError("the layers table's new definition failed SQLite's integrity check")


def downgrade() -> None:
    raise NotImplementedError("layer kinds are not narrowed again")
