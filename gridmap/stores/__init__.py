"""Stores, chosen by URL scheme through one small registry.

>>> store_class("gpkg:///tmp/x.gpkg").__name__
'GeoPackageStore'
"""

from __future__ import annotations

from gridmap.stores.registry import open_store, store_class
from gridmap.stores.sql import SQLStore as Store

__all__ = ["Store", "open_store", "store_class"]
