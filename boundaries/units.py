"""Unit graphs from a store: the units a planner groups (neighborhoods) and the finer units
they can be split into (grids), with population, households, workload and parent area.

The fine graph is built once from geometry; the coarse one is contracted from it, so both
always agree on who borders whom.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from boundaries.graph import UnitGraph, contract
from boundaries.plan import Plan
from gridmap.catalogue import CATEGORIES
from gridmap.errors import InvalidInput, say
from gridmap.geometry import metric_crs, to_metric
from gridmap.model import LOCAL_TZ, IncidentQuery
from gridmap.stores.protocols import AreaStore, CasesAndAreas, CaseStore


@dataclass(frozen=True)
class Units:
    units: UnitGraph  # e.g. neighborhoods
    fine: UnitGraph | None  # e.g. their grids (group = the neighborhood's code)
    layer: str
    fine_layer: str | None
    parent_layer: str | None  # None: new areas need not lie inside any coarser layer
    generation: int
    metric_crs: pyproj.CRS | None = None  # where areas, lengths and compactness are measured


WHOLE = "all"  # the one parent of every unit when plans nest in nothing


def default_parent(store: AreaStore, layer: str) -> str | None:
    """The coarsest layer ``layer`` nests in (district for neighborhoods), or None."""
    top = store.layer(layer).parent
    while top is not None and store.layer(top).parent is not None:
        top = store.layer(top).parent
    return top


def default_split(store: AreaStore, layer: str) -> str | None:
    """The one layer that nests in ``layer`` (grids in neighborhoods), or None."""
    store.layer(layer)
    finer = [x.name for x in store.layers() if x.parent == layer and x.kind == "admin"]
    return finer[0] if len(finer) == 1 else None


def choose_layers(
    store: AreaStore, layer: str, split_into: str | None, parent_layer: str | None
) -> tuple[str | None, str | None]:
    """(split_into, parent_layer) with defaults filled in: None asks for the default,
    'none' for no such layer."""
    split = default_split(store, layer) if split_into is None else split_into
    parent = default_parent(store, layer) if parent_layer is None else parent_layer
    if parent == layer:
        raise InvalidInput(
            say(
                "--parent {parent}: the new areas are made of {layer} areas, so they "
                "cannot lie inside one; give a coarser layer, or 'none'",
                parent=parent,
                layer=layer,
            ),
            field="parent",
        )
    if split == layer:
        raise InvalidInput(
            say(
                "--split-into {split}: the units themselves; give a finer layer, or 'none'",
                split=split,
            ),
            field="split_into",
        )
    return (None if split == "none" else split), (None if parent == "none" else parent)


def ancestors(store: AreaStore, layer: str, up_to: str, generation: int) -> dict[str, str]:
    """Code in ``layer`` → code of the area of ``up_to`` it lies in, following parent codes."""
    store.layer(up_to)
    chain = [layer]
    while chain[-1] != up_to:
        parent = store.layer(chain[-1]).parent
        if parent is None:
            raise InvalidInput(
                say(
                    "layer {layer!r} does not nest in {up_to!r}; give --parent none to "
                    "plan areas that need not lie inside another layer's",
                    layer=layer,
                    up_to=up_to,
                ),
                field="parent",
            )
        chain.append(parent)
    frames = [store.areas(name, generation) for name in chain[:-1]]
    mapping = dict(zip(frames[0]["code"], frames[0]["parent_code"], strict=True))
    for frame in frames[1:]:
        up = dict(zip(frame["code"], frame["parent_code"], strict=True))
        mapping = {c: up.get(p) for c, p in mapping.items()}
    return mapping


def workload(store: CaseStore, codes_layer: str, codes: np.ndarray, months: int = 12) -> np.ndarray:
    """Per area: incidents of the last ``months`` weighted by their category's handling
    time (hours), so a road collapse weighs less than an illegal structure case."""
    since = (datetime.now(LOCAL_TZ) - timedelta(days=30.44 * months)).date()
    events = store.incidents(query=IncidentQuery(since=since))
    hours = {code: c.time_limit_hours for code, c in CATEGORIES.items()}
    area = events["areas"].map(lambda a: (a or {}).get(codes_layer))
    weight = events["category"].map(hours).fillna(1.0)  # not in the catalogue: 1 hour
    per_area = weight.groupby(area).sum()
    return per_area.reindex(list(codes), fill_value=0.0).to_numpy(dtype=float)


def from_store(
    store: CasesAndAreas,
    layer: str = "neighborhood",
    fine_layer: str | None = "grid",
    parent_layer: str | None = "district",
    generation: int | str | None = None,
    months: int = 12,
    min_border_m: float = 1.0,
    links: Sequence[tuple[str, str]] = (),
) -> Units:
    """The planner's units of ``layer`` (and of ``fine_layer`` inside them) in a generation.

    ``links``: pairs of unit codes (of either layer) to treat as neighbours although they
    share no border: an island and its ferry pier, an enclave and the area it belongs to.
    """
    gen = store.generation(generation)
    frame = store.areas(layer, gen.id)
    if not len(frame):
        raise InvalidInput(
            say("layer {layer!r} has no areas in generation {gen}", layer=layer, gen=gen.name),
            field="layer",
        )
    if not frame["population"].any():
        raise InvalidInput(
            say(
                "layer {layer!r} has no residents (population 0 in every area): plans "
                "balance population; import the layer again naming its population "
                "column, e.g. gridmap import-layer FILE --layer {layer} "
                "--population-field TotPop",
                layer=layer,
            ),
            field="population",
        )
    if parent_layer is None:
        parent_of = dict.fromkeys(frame["code"], WHOLE)
    else:
        parent_of = ancestors(store, layer, parent_layer, gen.id)
    frame["parent"] = frame["code"].map(parent_of)
    crs = _metric_crs(store, layer, frame)
    if fine_layer is None:
        frame["workload"] = workload(store, layer, frame["code"].to_numpy(), months)
        graph = UnitGraph.from_frame(
            frame,
            parent="parent",
            workload="workload",
            min_border_m=min_border_m,
            links=_check_links(links, frame, None),
            crs=crs,
        )
        return Units(graph, None, layer, None, parent_layer, gen.id, crs)
    store.layer(fine_layer)
    grids = store.areas(fine_layer, gen.id)
    outside = ~grids["parent_code"].isin(frame["code"])
    if outside.any():
        raise InvalidInput(
            say(
                "{fine_layer} {code} lies in no {layer} of generation {gen}: does "
                "{fine_layer} nest in {layer}?",
                fine_layer=fine_layer,
                code=grids["code"][outside].iloc[0],
                layer=layer,
                gen=gen.name,
            ),
            field="fine",
        )
    grids["parent"] = grids["parent_code"].map(parent_of)
    grids["workload"] = workload(store, fine_layer, grids["code"].to_numpy(), months)
    fine = UnitGraph.from_frame(
        gpd.GeoDataFrame(grids),
        parent="parent",
        group="parent_code",
        workload="workload",
        min_border_m=min_border_m,
        links=_check_links(links, frame, grids),
        crs=crs,
    )
    geoms = np.asarray(frame.geometry.values, dtype=object)
    metric = to_metric(geoms, crs)  # the fine graph's CRS
    geoms_of = {c: (g, m) for c, g, m in zip(frame["code"], geoms, metric, strict=True)}
    coarse = contract(fine, fine.group, geoms_of)
    return Units(coarse, fine, layer, fine_layer, parent_layer, gen.id, crs)


def _metric_crs(store: AreaStore, layer: str, frame: gpd.GeoDataFrame) -> pyproj.CRS:
    """The layer's own projected CRS when its file came with one, else the CGCS2000
    Gauss-Krüger zone (in China) or UTM zone of its centre."""
    own = store.layer_crs(layer)
    if own is not None:
        return pyproj.CRS.from_user_input(own)
    x0, y0, x1, y1 = shapely.total_bounds(np.asarray(frame.geometry.values, dtype=object))
    return metric_crs((x0 + x1) / 2, (y0 + y1) / 2)


def _check_links(links, units: gpd.GeoDataFrame, fine: gpd.GeoDataFrame | None) -> list:
    """Links as pairs of codes of the graph being built: a unit named in a link to the
    fine graph is represented by its grid nearest the other end."""
    out = []
    fine_codes = set() if fine is None else set(fine["code"])
    unit_codes = set(units["code"])
    for a, b in links:
        ends = []
        for code in (a, b):
            if code in fine_codes:
                ends.append(fine[fine["code"] == code])
            elif code in unit_codes:
                ends.append(
                    units[units["code"] == code]
                    if fine is None
                    else fine[fine["parent_code"] == code]
                )
            else:
                raise InvalidInput(
                    say("link {a}-{b}: {code} is not a unit", a=a, b=b, code=code), field="link"
                )
        if fine is None:
            out.append((a, b))
            continue
        left, right = ends
        dist = shapely.distance(
            np.asarray(left.geometry.values, dtype=object)[:, None],
            np.asarray(right.geometry.values, dtype=object)[None, :],
        )
        i, j = np.unravel_index(np.argmin(dist), dist.shape)
        out.append((left["code"].iloc[i], right["code"].iloc[j]))
    return out


def fine_plan(units: Units, plan: Plan) -> Plan:
    """The plan over the finest units (grids), whatever mix of units it was made of."""
    g = units.fine if units.fine is not None else units.units
    if plan.graph is g:
        return plan
    label_of = dict(zip(plan.graph.codes, plan.labels, strict=True))
    labels = [label_of.get(c, label_of.get(grp)) for c, grp in zip(g.codes, g.group, strict=True)]
    missing = [c for c, lab in zip(g.codes, labels, strict=True) if lab is None]
    if missing:
        raise InvalidInput(
            say(
                "{missing_count} units are not in the plan, such as {missing}",
                missing_count=len(missing),
                missing=missing[0],
            ),
            field="plan",
        )
    return Plan(g, np.asarray(labels, dtype=np.int64), plan.k, names=plan.names)
