"""Alembic's entry point: migrations run on the store's own connection, inside the
transaction the store opened (so a failed upgrade leaves the store as it was)."""

from alembic import context

from gridmap.stores.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying
    transactional_ddl=True,
)
context.run_migrations()
