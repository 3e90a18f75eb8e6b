"""Publishing a plan as a new generation of boundaries, in one transaction.

The plan's districts become areas of a new layer (communities) nested in the parent
layer (districts); the levels they replace (streets, neighborhoods) end with the source
generation, so lookups that ask for it still answer with them; grids are re-parented and
renumbered inside their new community (codes extend the parent's code, docs/area-codes.md), their
officers follow them; staged (inactive) or activated, which moves open incidents and
hazards into the new areas.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries import rules
from boundaries.plan import Plan
from boundaries.units import Units, fine_plan
from gridmap.codes import child_codes, sequence_within
from gridmap.engines import LargeBatches
from gridmap.errors import InvalidInput, NotFound, say
from gridmap.geometry import lonlat_area_m2
from gridmap.model import Generation, Layer, Officer
from gridmap.services import approvals, generations
from gridmap.services.generations import Activated
from gridmap.settings import Settings
from gridmap.stores.protocols import AreaStore, CasesAndAreas, Store

# Holes smaller than this in a dissolved community are slivers between units, not
# enclaves (m²).
SLIVER_M2 = 1.0


@dataclass(frozen=True)
class PublishRequest:
    """What to publish a plan as: the generation's ``name``, the ``layer`` of the new
    areas, a description, whether it becomes active now, and the day it takes effect.

    :meth:`read` is the one parser of a request, from the API's JSON or the confirmation
    page's form; the command line builds one from its options."""

    name: str
    layer: str = "community"
    description: str = ""
    activate_now: bool = False
    effective: date | None = None
    names: tuple[tuple[str, str], ...] = ()  # (new area code, its name) chosen by a person

    @classmethod
    def read(cls, data: Mapping) -> PublishRequest:
        """From a mapping: ``name``, ``layer``, ``description``, ``effective``
        (YYYY-MM-DD), and ``activate`` (true or false, JSON) or ``mode`` (``stage`` or
        ``activate``, a form); the new areas' names as ``names`` (code -> name, JSON) or
        ``area_name.<code>`` fields (a form); a bad field raises naming it.

        >>> PublishRequest.read({"name": " 2012 ", "mode": "activate"})
        PublishRequest(name='2012', layer='community', description='', activate_now=True, effective=None, names=())
        """  # noqa: E501
        name = _text(data, "name")
        if not name:
            raise InvalidInput(say("'name' is missing; expected a generation name"), field="name")
        activate = data.get("activate", False)
        if not isinstance(activate, bool):
            raise InvalidInput(
                say("'activate' is {activate!r}; expected true or false", activate=activate),
                field="activate",
            )
        mode = data.get("mode") or "stage"
        if mode not in ("stage", "activate"):
            raise InvalidInput(
                say("'mode' is {mode!r}; expected stage or activate", mode=mode), field="mode"
            )
        raw = _text(data, "effective")
        try:
            effective = date.fromisoformat(raw) if raw else None
        except ValueError:
            raise InvalidInput(
                say("'effective' is {raw!r}; expected a date YYYY-MM-DD", raw=raw),
                field="effective",
            ) from None
        return cls(
            name=name,
            layer=_text(data, "layer") or "community",
            description=_text(data, "description"),
            activate_now=activate or mode == "activate",
            effective=effective,
            names=area_names(data),
        )

    def options(self) -> dict:
        """As :func:`publish` takes them."""
        return {
            "name": self.name,
            "layer": self.layer,
            "description": self.description,
            "activate_now": self.activate_now,
            "effective": self.effective,
            "names": dict(self.names),
        }


NAME_FIELD = "area_name."  # the form's field of a new area's name: area_name.<code>


def area_names(data: Mapping) -> tuple[tuple[str, str], ...]:
    """The new areas' names given: ``names`` {code: name} or ``area_name.<code>`` fields.

    >>> area_names({"area_name.A1": " 东湖 ", "names": {"A2": "西湖"}})
    (('A1', '东湖'), ('A2', '西湖'))
    """
    given = data.get("names") or {}
    if not isinstance(given, Mapping):
        raise InvalidInput(
            say("'names' is {given!r}; expected code -> name", given=given), field="names"
        )
    pairs = [(k.removeprefix(NAME_FIELD), k) for k in data if k.startswith(NAME_FIELD)]
    out = {code: _text(data, key) for code, key in pairs}
    out.update({str(code): _text(given, code) for code in given})
    return tuple(sorted((code, approvals.area_name(code, name)) for code, name in out.items()))


def _text(data: Mapping, key: str) -> str:
    value: Any = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(
            say("{key!r} is {value!r}; expected text", key=key, value=value), field=key
        )
    return value.strip()


@dataclass(frozen=True)
class Published:
    generation: Generation
    layer: str
    areas: int
    grids: int
    retired: dict[str, int]  # layer -> areas that end with the source generation
    slivers_removed: int
    activated: Activated | None


def publish(
    store: CasesAndAreas,
    units: Units,
    plan: Plan,
    name: str,
    *,
    layer: str = "community",
    title_zh: str = "社区",
    title_en: str = "Community",
    description: str = "",
    activate_now: bool = False,
    effective: date | None = None,
    names: Mapping[str, str] | None = None,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
    large: LargeBatches | None = None,
) -> Published:
    """Write ``plan`` as generation ``name``; all or nothing.  ``effective``: the day the
    new boundaries take effect (recorded now, whether activated now or later); ``large``:
    the engine that re-homes a large number of events when activated now."""
    say = progress or (lambda m: None)
    laid = layout(store, units, plan, layer=layer, settings=settings, names=names)
    source, areas, grids, retire = laid.source, laid.areas, laid.grids, laid.retire
    with store.transaction():
        gen = store.add_generation(name, description)
        if layer not in {x.name for x in store.layers()}:
            # Listed before the grids it holds, so answers read district, community, grid.
            store.add_layer(
                Layer(layer, title_zh, title_en, parent=units.parent_layer), before=units.fine_layer
            )
        retired = {}
        for name_ in retire:
            ended = _ending(store, name_, source.id)
            store.end_areas(name_, ended, source.id)
            retired[name_] = len(ended)
        store.write_areas(layer, areas, gen.id)
        say(f"{len(areas)} {title_en.lower()} areas written to generation {gen.name}")
        if grids is not None:
            store.end_areas(units.fine_layer, grids["old_code"].tolist(), source.id)
            store.write_areas(units.fine_layer, grids.drop(columns="old_code"), gen.id)
            new_code = laid.new_codes()
            store.add_officers(
                [
                    Officer(o.name, o.layer, new_code[o.area_code], o.phone, o.role)
                    for o in store.officers(units.fine_layer)
                    if o.area_code in new_code
                ]
            )
            say(f"{len(grids)} grids re-parented, their officers with them")
        if effective is not None and not activate_now:
            store.set_effective(gen.id, effective)
        store.record(
            "publish",
            gen.name,
            after={
                "from": source.name,
                "layer": layer,
                "areas": len(areas),
                "grids": 0 if grids is None else len(grids),
                "retired": retired,
            },
        )
        done = generations.activate(store, gen.id, effective, say, large) if activate_now else None
    return Published(
        store.generation(gen.id),
        layer,
        len(areas),
        0 if grids is None else len(grids),
        retired,
        laid.slivers,
        done,
    )


def trail(store: Store, generation_id: int) -> tuple[Generation, list[dict]]:
    """A published generation and what was written for it, as the audit trail recorded it
    (publishing, then any activation)."""
    generation = store.generation(generation_id)
    rows = [
        row
        for action in ("publish", "activate")
        for row in store.audit_log(action=action)
        if row["target"] == generation.name
    ]
    return generation, rows


@dataclass(frozen=True)
class Layout:
    """What publishing ``plan`` would write, computed without writing: the new areas with
    their codes and names, the grids renumbered inside them (``old_code`` their code
    today), and the layers whose areas end with the source generation."""

    source: Generation
    areas: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame | None
    retire: list[str]
    slivers: int

    def new_codes(self) -> dict[str, str]:
        """Each grid's code today → its code in the new generation."""
        if self.grids is None:
            return {}
        return dict(zip(self.grids["old_code"], self.grids["code"], strict=True))


def layout(
    store: AreaStore,
    units: Units,
    plan: Plan,
    *,
    layer: str = "community",
    settings: Settings | None = None,
    names: Mapping[str, str] | None = None,
) -> Layout:
    """The checks and numbering ``publish`` does before its transaction, read-only, so a
    confirmation page shows exactly the codes publishing would give."""
    settings = settings or Settings()  # the documented defaults: entry points pass theirs
    source = store.generation(units.generation)
    fine = check(store, units, plan, layer=layer)
    g = fine.graph
    parents = np.array([str(g.parent[fine.units(d)[0]]) for d in range(fine.k)], dtype=object)

    # Dissolve and number the new areas.
    shapes, slivers = [], 0
    for d in range(fine.k):
        shape, removed = _dissolve(g.geoms[fine.units(d)])
        shapes.append(shape)
        slivers += removed
    centres = shapely.get_coordinates(shapely.centroid(np.asarray(shapes, dtype=object)))
    seq = sequence_within(np.arange(fine.k), parents, centres, 0.01)
    codes = _community_codes(parents, seq)
    names = _given(codes, _proposed(store, units, fine, seq), names or {})
    areas = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": names,
            "parent_code": parents,
            "population": fine.population,
            "households": fine.households,
        },
        geometry=shapes,
        crs="EPSG:4326",
    )

    # Grids re-parented and renumbered inside their community.
    grids = None
    if units.fine is not None:
        old = store.areas(units.fine_layer, source.id).set_index("code").loc[list(g.codes)]
        gxy = shapely.get_coordinates(shapely.centroid(g.geoms))
        gseq = sequence_within(np.arange(len(g)), fine.labels, gxy, 0.0025)
        community = codes[fine.labels]
        _fits(gseq, settings.grid_code_width)
        grids = gpd.GeoDataFrame(
            {
                "code": child_codes(community, gseq, settings.grid_code_width),
                "name": [
                    f"{np.asarray(names)[d]}第{s}网格"
                    for d, s in zip(fine.labels, gseq, strict=True)
                ],
                "parent_code": community,
                "population": old["population"].to_numpy(),
                "households": old["households"].to_numpy(),
            },
            geometry=list(g.geoms),
            crs="EPSG:4326",
        )
        grids["old_code"] = list(g.codes)

    retire = _replaced_layers(store, units, layer, source.id)
    return Layout(source, areas, grids, retire, slivers)


def check(store: AreaStore, units: Units, plan: Plan, *, layer: str = "community") -> Plan:
    """The refusals of ``publish`` that need no numbering (what the list of plans asks
    to offer publishing only when it can succeed): the plan has a parent layer, a layer
    to go into, is made on the newest generation and keeps the rules.  Returns the plan
    on the finest units."""
    source = store.generation(units.generation)
    if units.parent_layer is None:
        # New codes extend their parent's code (GB/T 2260): without a parent there is none.
        raise InvalidInput(
            say(
                "publishing numbers the new areas inside their parent layer's areas, "
                "and this plan has none (--parent none); plan with --parent LAYER to "
                "publish, or write it out with 'gridmap plan export'"
            ),
            field="parent",
            code="publish.no_parent",
        )
    _check_target(store, units, layer)
    newest = max(store.generations(), key=lambda g: g.id)
    if source.id != newest.id:
        raise InvalidInput(
            say(
                "the plan was made on generation {source}, but a newer one ({newest}) "
                "exists: plan on the newest generation",
                source=source.name,
                newest=newest.name,
            ),
            field="generation",
            code="publish.newer",
            values={"source": source.name, "newest": newest.name},
        )
    fine = fine_plan(units, plan)
    failed = [reason for _, ok, reason in rules.check(fine) if not ok]
    if failed:
        raise InvalidInput(
            say("the plan breaks the rules: {failed}", failed="; ".join(failed)),
            field="plan",
            code="publish.rules",
            values={"reasons": failed},  # each said in the page's language
        )
    return fine


def _fits(seq: np.ndarray, width: int) -> None:
    """Grids are numbered inside their new area with ``width`` digits: a plan with areas
    of more grids cannot be published (refused as input, not a server error)."""
    if len(seq) and int(seq.max()) >= 10**width:
        raise InvalidInput(
            say(
                "an area of the plan holds {max} grids, more than the {width}-digit "
                "grid codes number (GRIDMAP_GRID_CODE_WIDTH); split it into smaller "
                "areas",
                max=int(seq.max()),
                width=width,
            ),
            field="plan",
            code="publish.too_many_grids",
            values={"grids": int(seq.max()), "width": width},
        )


def _ending(store: AreaStore, layer: str, generation: int) -> list[str]:
    """The codes of ``layer`` that publishing ends with ``generation``."""
    return store.areas(layer, generation)["code"].tolist()


@dataclass(frozen=True)
class Preview:
    """What publishing would change, for a person to confirm: nothing is written."""

    source: str  # the generation the plan was made on
    layer: str
    areas: list[dict]  # code, name, parent_code, population of each new area
    retired: dict[str, list[str]]  # layer -> codes that end with the source generation
    grids: int  # grids renumbered inside their new area
    officers: list[dict]  # name, grid (today), new_grid: officers whose grid changes area
    incidents: int  # incidents in grids that change area (as ``compare`` counts them)
    hazards: int
    residents: int  # residents of grids that change area


def preview(
    store: CasesAndAreas,
    units: Units,
    plan: Plan,
    *,
    layer: str = "community",
    settings: Settings | None = None,
) -> Preview:
    """The confirmation of ``publish``: the same checks and codes (``layout``), what ends,
    and who and what changes area (``compare`` against today's areas)."""
    from boundaries.compare import compare

    laid = layout(store, units, plan, layer=layer, settings=settings)
    diff = compare(store, units, plan)
    new_code = laid.new_codes()
    changed = set(diff.grids_changed)
    officers = (
        [
            {"name": o.name, "grid": o.area_code, "new_grid": new_code.get(o.area_code, "")}
            for o in store.officers(units.fine_layer)
            if o.area_code in changed
        ]
        if units.fine_layer
        else []
    )
    return Preview(
        source=laid.source.name,
        layer=layer,
        areas=laid.areas[["code", "name", "parent_code", "population"]].to_dict(orient="records"),
        retired={x: _ending(store, x, laid.source.id) for x in laid.retire},
        grids=0 if laid.grids is None else len(laid.grids),
        officers=officers,
        incidents=diff.incidents_changed,
        hazards=diff.hazards_changed,
        residents=diff.residents_moved,
    )


def _check_target(store: AreaStore, units: Units, layer: str) -> None:
    """The new areas go into a new layer or the units' own (the new areas replace them):
    never into a layer finer than the units (grids), the parent or above, or a
    department's zones."""
    known = {x.name: x for x in store.layers()}

    def above(name):  # the layer's ancestors, nearest first
        out = []
        while name in known and known[name].parent is not None:
            name = known[name].parent
            out.append(name)
        return out

    finer = units.layer in above(layer) or (units.fine_layer and units.fine_layer == layer)
    if not finer and layer in known and layer != units.layer:  # after a reform, by the data
        parents = set(store.areas(layer, units.generation)["parent_code"].dropna())
        finer = bool(parents & set(units.units.codes))
    coarse = layer == units.parent_layer or layer in above(units.parent_layer)
    zone = layer in known and known[layer].kind == "zone"
    if finer or coarse or zone:
        what = "a zone layer" if zone else "finer than the units" if finer else "not below"
        raise InvalidInput(
            say(
                "layer {layer!r} is {what} ({layer2} in {parent_layer}); publish into "
                "a new layer (such as 'community') or the units' own",
                layer=layer,
                what=what,
                layer2=units.layer,
                parent_layer=units.parent_layer,
            ),
            field="layer",
            code="publish.layer",
            values={"layer": layer},
        )


def _dissolve(geoms: np.ndarray) -> tuple[shapely.MultiPolygon, int]:
    """Union of units as a valid MultiPolygon, with sliver holes filled."""
    shape = shapely.make_valid(shapely.union_all(geoms))
    polys = [p for p in shapely.get_parts(shape) if p.geom_type == "Polygon"]
    out, removed = [], 0
    for p in polys:
        holes = list(p.interiors)
        keep = [h for h in holes if lonlat_area_m2([shapely.Polygon(h)])[0] >= SLIVER_M2]
        removed += len(holes) - len(keep)
        out.append(shapely.Polygon(p.exterior, keep))
    return shapely.MultiPolygon(out), removed


def _community_codes(parents: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """12-digit codes: under a 6-digit district, township digits 000 (directly under the
    district, the reform having removed streets) and the sequence as committee digits."""
    prefix = np.array([p + "000" if len(p) == 6 else p for p in parents], dtype=object)
    return child_codes(prefix, seq, 3).astype(object)


def _proposed(store: AreaStore, units: Units, fine: Plan, seq) -> list[str]:
    """Each new area's name: the plan's own when it named its areas, else the name of the
    neighborhood holding most of its residents (numbered where two areas would share it)."""
    if not all(str(n).isdigit() for n in fine.names):
        return [str(n) for n in fine.names]
    g = fine.graph
    known = _names(store, units.layer, units.generation)
    out = []
    for d in range(fine.k):
        members = fine.units(d)
        frame = pd.DataFrame({"group": g.group[members], "people": g.population[members]})
        largest = str(frame.groupby("group")["people"].sum().idxmax())
        out.append(known.get(largest, largest))
    counts = Counter(out)
    return [f"{n}（{s}）" if counts[n] > 1 else n for n, s in zip(out, seq, strict=True)]


def _given(codes, proposed: list[str], names: Mapping[str, str]) -> list[str]:
    """The proposed names with those a person chose instead; an unknown code is refused."""
    unknown = sorted(set(names) - {str(c) for c in codes})
    if unknown:
        raise InvalidInput(
            say("no new area has code {unknown}", unknown=unknown[0]),
            field=NAME_FIELD + unknown[0],
            code="publish.area_unknown",
            values={"area": unknown[0]},
        )
    return [names.get(str(c), p) for c, p in zip(codes, proposed, strict=True)]


def _names(store: AreaStore, layer: str, generation: int) -> dict[str, str]:
    frame = store.areas(layer, generation)
    return dict(zip(frame["code"], frame["name"], strict=True))


def _replaced_layers(store: AreaStore, units: Units, target: str, generation: int) -> list[str]:
    """The levels between the units and the parent layer (the units' own included), and
    the target layer's own areas when it has some: they end with the source generation."""
    chain, name = [], units.layer
    while name != units.parent_layer:
        chain.append(name)
        try:
            name = store.layer(name).parent
        except NotFound:
            break
        if name is None:
            raise InvalidInput(
                say(
                    "layer {layer!r} does not nest in {parent_layer!r}",
                    layer=units.layer,
                    parent_layer=units.parent_layer,
                ),
                field="parent",
            )
    known = {x.name for x in store.layers()}
    if target in known and target not in chain and store.count_areas(target, generation):
        chain.append(target)
    return chain
