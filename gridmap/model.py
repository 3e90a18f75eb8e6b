"""The core model.

Small values (layers, generations, officers) are dataclasses.  Collections of
geometries (areas, incidents, hazards) travel as GeoDataFrames in EPSG:4326 whose
columns are listed here, because every consumer (lookup, maps, redistricting,
exports) works on them column-wise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from gridmap.errors import InvalidInput, NotFound, say

CRS = "EPSG:4326"
# Dates without a time (filters such as "since 2026-03-01") are days in this zone.
LOCAL_TZ = timezone(timedelta(hours=8))
LAYER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LAYER_KINDS = ("admin", "zone", "reference")


@dataclass(frozen=True)
class Layer:
    """A kind of area.  Layers are data: a city adds, merges or drops levels.

    ``parent`` names the layer this one nests in (grids in neighborhoods); ``kind`` is
    ``"admin"`` for the administrative hierarchy (district, street, community, grid),
    ``"zone"`` for a department's responsibility zones, which need not follow
    administrative lines, and ``"reference"`` for anything else a city shows (school
    districts, parks): looked up and drawn, but it never decides who owns a point.  A
    ``retired`` layer keeps its areas (old cases name them) but is no longer looked up
    or shown.
    """

    name: str
    title_zh: str
    title_en: str
    parent: str | None = None
    kind: str = "admin"
    department: str | None = None
    retired: bool = False

    def __post_init__(self) -> None:
        if not LAYER_NAME.match(self.name):
            raise InvalidInput(
                say(
                    "layer name {name!r}: expected lowercase letters, digits and '_', "
                    "starting with a letter",
                    name=self.name,
                ),
                field="name",
            )
        if self.kind not in LAYER_KINDS:
            raise InvalidInput(
                say(
                    "layer kind {kind!r}: expected one of {layer_kinds}",
                    kind=self.kind,
                    layer_kinds=", ".join(LAYER_KINDS),
                ),
                field="kind",
            )


def _chain(name: str, parents: dict[str, str | None]) -> list[str]:
    """``name`` and the layers of the hierarchy above it, upward (a loop ends it)."""
    out = [name]
    while parents.get(out[-1]) in parents and parents[out[-1]] not in out:
        out.append(parents[out[-1]])
    return out


def grid_layer(layers: Sequence[Layer]) -> str | None:
    """The finest layer of the boundary hierarchy (grids: their areas have the officers):
    the deepest leaf of the ``admin`` layers.  Zones and reference layers are never it; a
    second leaf as deep as the first leaves no grid layer rather than a guessed one.

    >>> city = [Layer("district", "区", "District"), Layer("grid", "网格", "Grid", "district")]
    >>> grid_layer([*city, Layer("school", "学区", "Schools")])  # a top layer on its own
    'grid'
    >>> grid_layer([*city, Layer("school", "学区", "Schools", "district")]) is None
    True
    >>> hierarchy_top([*city, Layer("park", "公园", "Parks", kind="reference")])
    'district'
    """
    parents = {x.name: x.parent for x in layers if x.kind == "admin"}
    leaves = [n for n in parents if n not in set(parents.values())]
    depth = {n: len(_chain(n, parents)) for n in leaves}
    deepest = [n for n in leaves if depth[n] == max(depth.values(), default=0)]
    return deepest[0] if len(deepest) == 1 else None


def hierarchy_top(layers: Sequence[Layer]) -> str | None:
    """The coarsest layer of the hierarchy the grid layer belongs to (districts): what a
    map of the city opens on (None when there is no grid layer)."""
    chain = hierarchy(layers)
    return chain[0] if chain else None


def hierarchy(layers: Sequence[Layer]) -> list[str]:
    """The boundary hierarchy from its top to the grids (district, street, community,
    grid): what a map draws as the city's own base, coarse to fine.

    >>> hierarchy([Layer("grid", "网格", "Grid", "street"), Layer("street", "街道", "Street")])
    ['street', 'grid']
    """
    leaf = grid_layer(layers)
    parents = {x.name: x.parent for x in layers if x.kind == "admin"}
    return _chain(leaf, parents)[::-1] if leaf else []


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
    effective_from: date | None = None  # the day it took effect (None: not recorded)
    effective_to: date | None = None  # the last day it was in force (None: still is)


def find_generation(gens: Sequence[Generation], ref: int | str | None = None) -> Generation:
    """A generation by id or name; the active one when ``ref`` is None."""
    for g in gens:
        if (ref is None and g.active) or (
            ref is not None and (g.id == ref or g.name == str(ref) or str(g.id) == str(ref))
        ):
            return g
    if ref is None:
        raise NotFound(say("no active generation: build or import boundaries first"))
    known = ", ".join(f"{g.id} ({g.name})" for g in gens) or "none"
    raise NotFound(
        say("unknown generation {ref!r}; known generations: {known}", ref=ref, known=known)
    )


def generation_on(gens: Sequence[Generation], day: date) -> Generation:
    """The generation in force on ``day``, by the recorded effective dates (a generation
    with only an end date was in force from the beginning)."""
    dated = [g for g in gens if g.effective_from or g.effective_to]
    for g in sorted(dated, key=lambda g: g.effective_from or date.min, reverse=True):
        if (g.effective_from or date.min) <= day <= (g.effective_to or date.max):
            return g
    known = ", ".join(
        f"{g.name} ({g.effective_from or '…'} to {g.effective_to or '…'})" for g in dated
    )
    raise NotFound(
        say(
            "no generation was in force on {day}; recorded: {known} (dates come "
            "from 'gridmap plan publish/activate --effective')",
            day=day,
            known=known or say("no dates yet"),
        )
    )


def generation_at(
    gens: Sequence[Generation], ref: int | str | None = None, day: date | None = None
) -> Generation:
    """A generation by id or name, or the one in force on ``day``; the active one when
    neither is given."""
    if ref is not None and day is not None:
        raise InvalidInput(say("give a generation or a date, not both"), field="date")
    return generation_on(gens, day) if day is not None else find_generation(gens, ref)


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


def utc_text(ts: datetime) -> str:
    """A sortable UTC timestamp text, as stored beside each incident's local time."""
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class IncidentQuery:
    """Which incidents: inside ``bbox`` (lon0, lat0, lon1, lat1), with one of ``statuses``,
    a category code starting with ``category``, reported on days ``since``..``until``
    (inclusive, local time), in grid ``grid_code`` (or one of ``grid_codes``), handled by
    ``department``, overdue at ``overdue_at`` (UTC text), reported at instants
    ``reported_from``..``reported_to`` (UTC text, inclusive: OGC API's ``datetime``)."""

    bbox: Sequence[float] | None = None
    statuses: Sequence[str] = ()
    category: str | None = None
    since: date | None = None
    until: date | None = None
    grid_code: str | None = None
    department: str | None = None
    overdue_at: str | None = None
    grid_codes: Sequence[str] | None = None
    reported_from: str | None = None
    reported_to: str | None = None

    def where(self, mark: str = "?") -> tuple[str, list]:
        """An SQL WHERE clause (or "") and its parameters, with ``mark`` as placeholder."""
        clauses, params = [], []
        if self.bbox is not None:
            clauses.append(f"lon BETWEEN {mark} AND {mark} AND lat BETWEEN {mark} AND {mark}")
            params += [self.bbox[0], self.bbox[2], self.bbox[1], self.bbox[3]]
        if self.statuses:
            clauses.append(f"status IN ({', '.join([mark] * len(self.statuses))})")
            params += list(self.statuses)
        if self.category:
            clauses.append(f"substr(category, 1, {len(self.category)}) = {mark}")
            params.append(self.category)
        if self.since:
            clauses.append(f"reported_utc >= {mark}")
            params.append(utc_text(datetime.combine(self.since, datetime.min.time(), LOCAL_TZ)))
        if self.until:
            end = datetime.combine(self.until + timedelta(days=1), datetime.min.time(), LOCAL_TZ)
            clauses.append(f"reported_utc < {mark}")
            params.append(utc_text(end))
        if self.grid_code:
            clauses.append(f"grid_code = {mark}")
            params.append(self.grid_code)
        for bound, op in ((self.reported_from, ">="), (self.reported_to, "<=")):
            if bound:
                clauses.append(f"reported_utc {op} {mark}")
                params.append(bound)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params
