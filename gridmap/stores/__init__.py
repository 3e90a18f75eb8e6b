"""Stores, chosen by URL scheme through one small registry, and what callers may ask of
them: ``Store`` and its parts per aggregate (``protocols.py``).

>>> store_class("gpkg:///tmp/x.gpkg").__name__
'GeoPackageStore'
"""

from __future__ import annotations

from gridmap.stores.protocols import (
    AreaStore,
    CasesAndAreas,
    CaseStore,
    HazardStore,
    PeopleStore,
    PlanStore,
    PublicChannel,
    PublicStore,
    RoutingStore,
    SchedulerStore,
    Store,
    Transactions,
)
from gridmap.stores.registry import open_store, store_class

__all__ = [
    "AreaStore",
    "CaseStore",
    "CasesAndAreas",
    "HazardStore",
    "PeopleStore",
    "PlanStore",
    "PublicChannel",
    "PublicStore",
    "RoutingStore",
    "SchedulerStore",
    "Store",
    "Transactions",
    "open_store",
    "store_class",
]
