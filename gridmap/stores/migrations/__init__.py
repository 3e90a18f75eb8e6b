"""Ordered, versioned SQL migrations of the PostGIS schema: NNNN_name.sql, applied in
order, each in its own transaction, the applied version recorded in the database."""
