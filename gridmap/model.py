"""The core model.

Small values (layers, generations, officers) are dataclasses.  Collections of
geometries (areas, incidents, hazards) travel as GeoDataFrames in EPSG:4326 whose
columns are listed here, because every consumer (lookup, maps, redistricting,
exports) works on them column-wise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from gridmap.errors import InvalidInput

CRS = "EPSG:4326"
LAYER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Layer:
    """A kind of area.  Layers are data: a city adds, merges or drops levels.

    ``parent`` names the layer this one nests in (grids in neighborhoods); ``kind`` is
    ``"admin"`` for the administrative hierarchy and ``"zone"`` for a department's
    responsibility zones, which need not follow administrative lines.
    """

    name: str
    title_zh: str
    title_en: str
    parent: str | None = None
    kind: str = "admin"
    department: str | None = None

    def __post_init__(self) -> None:
        if not LAYER_NAME.match(self.name):
            raise InvalidInput(
                f"layer name {self.name!r}: expected lowercase letters, digits and '_', "
                "starting with a letter",
                field="name",
            )
        if self.kind not in ("admin", "zone"):
            raise InvalidInput(
                f"layer kind {self.kind!r}: expected 'admin' or 'zone'", field="kind"
            )


@dataclass(frozen=True)
class Generation:
    """One version of the boundaries.

    Why generations (as in mySociety's MapIt): boundaries are redrawn, but incidents
    keep the areas they were reported in and planners compare before with after.  An
    area is valid from generation ``gen_from`` up to ``gen_to`` (open-ended while
    ``None``); nothing is overwritten, and exactly one generation is active.
    """

    id: int
    name: str
    description: str = ""
    active: bool = False
    created: str = ""


@dataclass(frozen=True)
class Officer:
    """A person on duty for one area: a grid officer (网格员) or a zone's duty officer."""

    name: str
    layer: str
    area_code: str
    phone: str = ""
    role: str = "grid_officer"
    id: int | None = None


@dataclass(frozen=True)
class Incident:
    """One reported event (事件) or component problem (部件)."""

    lon: float
    lat: float
    category: str
    reported_at: datetime
    status: str = "reported"
    description: str = ""
    reporter: str = ""
    areas: dict[str, str] = field(default_factory=dict)
    id: int | None = None


AREA_COLUMNS = ["code", "name", "parent_code", "population", "households"]
INCIDENT_COLUMNS = [
    "category",
    "status",
    "reported_at",
    "description",
    "reporter",
    "generation",
    "grid_code",
    "areas",
]
HAZARD_COLUMNS = [
    "name",
    "type",
    "risk_level",
    "next_inspection",
    "generation",
    "grid_code",
    "areas",
]
