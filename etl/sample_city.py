"""The sample city ("Daqing sample"), deterministic from a seed.

The real outlines of Daqing's five urban districts, and inside them a made-up but
plausible city: 29 streets, 200 neighborhoods, grids of 300-500 households each (about
1.6 million residents, denser in the urban cores), one officer per grid, police, traffic
and fire zones, about 5,000 incidents over the year before ``as_of`` and 300 hazards.

Every layer is built from grids up: a grid is a union of faces of one noded overlay
(see :mod:`etl.tessellate`), a neighborhood the union of its grids, and so on, so every
layer tiles its parent exactly, in the lon/lat coordinates it is stored in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl import sample_cases, tessellate
from gridmap.catalogue import CATEGORIES, HAZARD_TYPES
from gridmap.codes import child_codes, reading_order, sequence_within
from gridmap.geometry import shared_borders
from gridmap.model import Layer, Officer
from gridmap.stores import Store

DISTRICTS_FILE = Path(__file__).parent / "sample_data" / "daqing_districts.geojson"
CHINA_TZ = timezone(timedelta(hours=8))

LAYERS = [
    Layer("district", "区", "District"),
    Layer("street", "街道", "Street", parent="district"),
    Layer("neighborhood", "社区", "Neighborhood", parent="street"),
    Layer("grid", "网格", "Grid", parent="neighborhood"),
    Layer("police", "派出所辖区", "Police precinct", kind="zone", department="police"),
    Layer("traffic", "交警辖区", "Traffic police zone", kind="zone", department="traffic"),
    Layer("fire", "消防辖区", "Fire station area", kind="zone", department="fire"),
    Layer("policing", "社区警务区", "Community policing zone", kind="zone", department="policing"),
    Layer(
        "immigration",
        "出入境管理辖区",
        "Immigration office area",
        kind="zone",
        department="immigration",
    ),
]

# Urban cores: (lon, lat, share of the urban population, radius in km).
CORES = [
    (125.105, 46.585, 0.32, 4.5),  # Sartu: Dongfeng / city centre
    (125.020, 46.620, 0.10, 3.0),  # Sartu: railway station
    (125.140, 46.535, 0.17, 3.5),  # Longfeng
    (124.870, 46.650, 0.22, 4.0),  # Ranghulu
    (124.885, 46.405, 0.09, 3.0),  # Honggang
    (124.820, 46.035, 0.06, 3.0),  # Datong
]
RURAL_SHARE = 0.04  # of residents spread over the whole area

STREET_WORDS = list("东风友谊富强拥军会战铁人火炬万宝银浪乘风庆新龙凤卧里屯湖滨奋斗兴化三永")
NEIGHBORHOOD_WORDS = list(
    "春华秋实和平幸福阳光明珠翠湖星光康乐新村园丁晨曦锦绣景园东湖"
    "西苑南苑北苑滨河金桥祥和文苑芳草丽园"
)
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志新")


@dataclass(frozen=True)
class SampleSettings:
    seed: int = 2011
    residents: int = 1_600_000
    streets: int = 29
    neighborhoods: int = 200
    grid_households: tuple[int, int] = (300, 500)
    grid_code_width: int = 2
    incidents: int = 5_000
    hazards: int = 300
    police_zones: int = 36
    traffic_zones: int = 10
    fire_zones: int = 14


Progress = Callable[[str], None]


def load_districts() -> gpd.GeoDataFrame:
    return gpd.read_file(DISTRICTS_FILE)


def _sample_points(rng, n, weights_fn, regions, bbox) -> np.ndarray:
    """n random points inside ``regions``, with density proportional to ``weights_fn``."""
    out = np.empty((0, 2))
    x0, y0, x1, y1 = bbox
    union = shapely.union_all(regions)
    shapely.prepare(union)
    while len(out) < n:
        cand = np.column_stack([rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)])
        w = weights_fn(cand)
        keep = (rng.uniform(0, w.max(), len(w)) < w) & shapely.contains_xy(
            union, cand[:, 0], cand[:, 1]
        )
        out = np.vstack([out, cand[keep]])
    return out[:n]


def _density(xy: np.ndarray, area_deg2: float) -> np.ndarray:
    km_x = 111.32 * tessellate.LAT0_SCALE
    d = np.full(len(xy), RURAL_SHARE / area_deg2)
    for lon, lat, share, radius in CORES:
        r2 = ((xy[:, 0] - lon) * km_x) ** 2 + ((xy[:, 1] - lat) * 111.32) ** 2
        sigma_deg2 = (radius / km_x) * (radius / 111.32)
        d += share * (1 - RURAL_SHARE) * np.exp(-r2 / (2 * radius**2)) / (2 * np.pi * sigma_deg2)
    return d


def _allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    raw = weights / weights.sum() * (total - minimum * len(weights))
    base = np.floor(raw).astype(int)
    base[np.argsort(base - raw)[: total - minimum * len(weights) - base.sum()]] += 1
    return base + minimum


def _kmeans(rng, xy: np.ndarray, w: np.ndarray, k: int, iters: int = 25) -> np.ndarray:
    """Weighted k-means labels; k-means++ start, fixed by ``rng``."""
    if k >= len(xy):
        return np.arange(len(xy))
    centres = [xy[rng.choice(len(xy), p=w / w.sum())]]
    for _ in range(1, k):
        d2 = np.min(((xy[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1) * w
        centres.append(xy[rng.choice(len(xy), p=d2 / d2.sum())])
    centres = np.array(centres)
    labels = np.zeros(len(xy), dtype=int)
    for _ in range(iters):
        labels = ((xy[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
        for j in range(k):
            m = labels == j
            if m.any():
                centres[j] = np.average(xy[m], axis=0, weights=w[m])
    # k-means can leave a centre empty; give it the unit farthest from its own centre.
    for j in range(k):
        if not (labels == j).any():
            d = ((xy - centres[labels]) ** 2).sum(1)
            d[np.bincount(labels, minlength=k)[labels] <= 1] = -1
            labels[int(d.argmax())] = j
    return labels


def _make_contiguous(
    labels: np.ndarray, groups: np.ndarray, neighbours: list[list[int]], weight: np.ndarray
) -> np.ndarray:
    """Move detached pieces of each label to a neighbouring label of the same group."""
    labels = labels.copy()
    for _ in range(20):
        moved = False
        for lab in np.unique(labels):
            members = set(np.flatnonzero(labels == lab).tolist())
            pieces = []
            while members:
                stack = [members.pop()]
                piece = set(stack)
                while stack:
                    for n in neighbours[stack.pop()]:
                        if n in members:
                            members.discard(n)
                            piece.add(n)
                            stack.append(n)
                pieces.append(piece)
            if len(pieces) < 2:
                continue
            pieces.sort(key=lambda p: -weight[list(p)].sum())
            for piece in pieces[1:]:
                outside = [
                    labels[n]
                    for u in piece
                    for n in neighbours[u]
                    if labels[n] != lab and groups[n] == groups[u]
                ]
                if outside:
                    labels[list(piece)] = max(set(outside), key=outside.count)
                    moved = True
        if not moved:
            break
    return labels


def _names(rng, words: list[str], n: int, suffix: str) -> list[str]:
    seen: set[str] = set()
    out = []
    while len(out) < n:
        name = "".join(rng.choice(words, 2, replace=False)) + suffix
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _person(rng) -> str:
    return str(rng.choice(SURNAMES)) + "".join(rng.choice(GIVEN, rng.integers(1, 3)))


def build_areas(
    settings: SampleSettings, progress: Progress = print
) -> dict[str, gpd.GeoDataFrame]:
    """Districts, streets, neighborhoods, grids and zones as GeoDataFrames (EPSG:4326)."""
    rng = np.random.default_rng(settings.seed)
    districts = load_districts().sort_values("code").reset_index(drop=True)
    regions = np.asarray(districts.geometry.values, dtype=object)
    bbox = tuple(shapely.total_bounds(regions))
    area_deg2 = float(shapely.area(shapely.union_all(regions)))

    # Grids: draw households until the residents are reached, one seed per grid.
    lo, hi = settings.grid_households
    households, people = [], 0
    while people < settings.residents:
        h = int(rng.integers(lo, hi + 1))
        households.append(h)
        people += int(round(h * rng.uniform(2.45, 2.95)))
    households = np.array(households)
    n = len(households)
    progress(f"placing {n} grids for {settings.residents:,} residents")
    seeds = _sample_points(rng, n, lambda xy: _density(xy, area_deg2), regions, bbox)
    cells = tessellate.voronoi_cells(seeds, bbox)
    polys, region_of, cell_of = tessellate.faces(regions, cells)
    progress(f"overlaid {n} cells with {len(regions)} districts: {len(polys)} faces")

    # A cell crossing a district border leaves pieces outside its seed's district: give
    # each piece to the nearest seed inside the district it lies in.
    seed_region = np.full(n, -1)
    s, r = shapely.STRtree(regions).query(shapely.points(seeds), predicate="within")
    seed_region[s] = r
    stray = seed_region[cell_of] != region_of
    if stray.any():
        reps = shapely.get_coordinates(shapely.point_on_surface(polys[stray]))
        for k, (idx, xy) in enumerate(zip(np.flatnonzero(stray), reps, strict=True)):
            cand = np.flatnonzero(seed_region == region_of[idx])
            d = (((seeds[cand] - xy) * [tessellate.LAT0_SCALE, 1]) ** 2).sum(1)
            cell_of[idx] = cand[d.argmin()]
            del k
    used = np.unique(cell_of)
    remap = np.full(n, -1)
    remap[used] = np.arange(len(used))
    grid_geoms = tessellate.dissolve(polys, remap[cell_of], len(used))
    households, seeds, grid_region = households[used], seeds[used], seed_region[used]
    n = len(used)
    population = np.round(households * rng.uniform(2.45, 2.95, n)).astype(int)

    # Neighbours among grids (rook), for contiguous streets and neighborhoods.
    gi, gj, _ = shared_borders(grid_geoms, min_length=1e-7)
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(gi.tolist(), gj.tolist(), strict=True):
        neighbours[a].append(b)
        neighbours[b].append(a)
    scaled = seeds * [tessellate.LAT0_SCALE, 1.0]

    # Streets: k-means of grids within each district, k by population.
    dist_pop = np.bincount(grid_region, weights=population, minlength=len(regions))
    n_streets = _allocate(settings.streets, dist_pop, minimum=2)
    street = np.zeros(n, dtype=int)
    offset = 0
    for d, k in enumerate(n_streets):
        m = grid_region == d
        street[m] = offset + _kmeans(rng, scaled[m], population[m].astype(float), int(k))
        offset += int(k)
    street = _make_contiguous(street, grid_region, neighbours, population)

    # Neighborhoods: k-means of grids within each street, k by population.
    street_ids = np.unique(street)
    st_pop = np.array([population[street == s].sum() for s in street_ids])
    n_nbhd = _allocate(settings.neighborhoods, st_pop, minimum=2)
    nbhd = np.zeros(n, dtype=int)
    offset = 0
    for s, k in zip(street_ids, n_nbhd, strict=True):
        m = street == s
        nbhd[m] = offset + _kmeans(rng, scaled[m], population[m].astype(float), int(k))
        offset += int(k)
    nbhd = _make_contiguous(nbhd, street, neighbours, population)

    # Codes: reading order (north to south, west to east) inside each parent.
    row = 0.02
    centres = shapely.get_coordinates(shapely.centroid(grid_geoms))
    street_seq = sequence_within(street, grid_region, centres, row * 4)
    nbhd_seq = sequence_within(nbhd, street, centres, row * 2)
    grid_seq = sequence_within(np.arange(n), nbhd, centres, row / 4)
    d_code = districts["code"].to_numpy()[grid_region]
    s_code = child_codes(d_code, street_seq, 3)
    n_code = child_codes(s_code, nbhd_seq, 3)
    g_code = child_codes(n_code, grid_seq, settings.grid_code_width)

    # Names: words drawn per street and neighborhood.
    st_codes = np.unique(s_code)
    st_names = dict(zip(st_codes, _names(rng, STREET_WORDS, len(st_codes), "街道"), strict=True))
    nb_codes = np.unique(n_code)
    nb_names = dict(
        zip(nb_codes, _names(rng, NEIGHBORHOOD_WORDS, len(nb_codes), "社区"), strict=True)
    )

    grids = gpd.GeoDataFrame(
        {
            "code": g_code,
            "name": [f"{nb_names[c]}第{s}网格" for c, s in zip(n_code, grid_seq, strict=True)],
            "parent_code": n_code,
            "population": population,
            "households": households,
        },
        geometry=grid_geoms,
        crs="EPSG:4326",
    )

    def up(
        frame: gpd.GeoDataFrame, parent_of: dict[str, str], names: dict[str, str]
    ) -> gpd.GeoDataFrame:
        parent = frame["parent_code"].to_numpy()
        codes, inverse = np.unique(parent, return_inverse=True)
        geoms = tessellate.dissolve(np.asarray(frame.geometry.values), inverse, len(codes))
        return gpd.GeoDataFrame(
            {
                "code": codes,
                "name": [names[c] for c in codes],
                "parent_code": [parent_of.get(c) for c in codes],
                "population": np.bincount(inverse, weights=frame["population"]).astype(int),
                "households": np.bincount(inverse, weights=frame["households"]).astype(int),
            },
            geometry=geoms,
            crs="EPSG:4326",
        )

    dist_names = dict(zip(districts["code"], districts["name"], strict=True))
    neighborhoods = up(grids, {c: c[:9] for c in nb_codes}, nb_names)
    streets = up(neighborhoods, {c: c[:6] for c in st_codes}, st_names)
    dists = up(streets, {}, dist_names)
    progress(
        f"built {len(dists)} districts, {len(streets)} streets, "
        f"{len(neighborhoods)} neighborhoods, {len(grids)} grids"
    )

    layers = {"district": dists, "street": streets, "neighborhood": neighborhoods, "grid": grids}
    city = np.asarray(dists.geometry.values, dtype=object)
    for name, prefix, count, suffix in (
        ("police", "P", settings.police_zones, "派出所辖区"),
        ("traffic", "T", settings.traffic_zones, "交警中队辖区"),
        ("fire", "F", settings.fire_zones, "消防站辖区"),
    ):
        layers[name] = _zones(rng, city, bbox, area_deg2, count, prefix, suffix)
    # Community policing zones usually follow the neighborhoods; immigration has one
    # office per district (docs/routing.md).
    layers["policing"] = _copied(neighborhoods, "J", "警务区")
    layers["immigration"] = _copied(dists, "I", "出入境管理辖区")
    return layers


def _copied(frame: gpd.GeoDataFrame, prefix: str, suffix: str) -> gpd.GeoDataFrame:
    """A department's zones drawn on another layer's areas."""
    return gpd.GeoDataFrame(
        {
            "code": [f"{prefix}{i:03d}" for i in range(1, len(frame) + 1)],
            "name": [f"{n}{suffix}" for n in frame["name"]],
            "parent_code": None,
            "population": 0,
            "households": 0,
        },
        geometry=list(frame.geometry.values),
        crs="EPSG:4326",
    )


def _zones(rng, city, bbox, area_deg2, count, prefix, suffix) -> gpd.GeoDataFrame:
    """A department's zones: Voronoi cells around stations placed where people live."""
    seeds = _sample_points(rng, count, lambda xy: _density(xy, area_deg2) ** 0.5, city, bbox)
    polys, _, cell_of = tessellate.faces(city, tessellate.voronoi_cells(seeds, bbox))
    used, inverse = np.unique(cell_of, return_inverse=True)
    geoms = tessellate.dissolve(polys, inverse, len(used))
    order = reading_order(seeds[used], 0.08)
    geoms = geoms[order]
    names = _names(rng, STREET_WORDS, len(used), suffix)
    return gpd.GeoDataFrame(
        {
            "code": [f"{prefix}{i:02d}" for i in range(1, len(used) + 1)],
            "name": names,
            "parent_code": None,
            "population": 0,
            "households": 0,
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def build_officers(rng, layers: dict[str, gpd.GeoDataFrame]) -> list[Officer]:
    officers = []
    for code in layers["grid"]["code"]:
        officers.append(
            Officer(_person(rng), "grid", code, f"139{rng.integers(0, 10**8):08d}", "grid_officer")
        )
    for name in ("police", "traffic", "fire"):
        for code in layers[name]["code"]:
            officers.append(
                Officer(
                    _person(rng), name, code, f"138{rng.integers(0, 10**8):08d}", "zone_officer"
                )
            )
    # The zones added later draw from their own stream: the rest of the city stays as it was.
    more = np.random.default_rng(2012)
    for name in ("policing", "immigration"):
        for code in layers[name]["code"]:
            phone = f"137{more.integers(0, 10**8):08d}"
            officers.append(Officer(_person(more), name, code, phone, "zone_officer"))
    return officers


def _points_in(rng, geoms: np.ndarray) -> np.ndarray:
    """One uniformly random point inside each geometry (rejection sampling)."""
    out = np.full((len(geoms), 2), np.nan)
    todo = np.arange(len(geoms))
    b = shapely.bounds(geoms)
    shapely.prepare(geoms)
    while len(todo):
        x = rng.uniform(b[todo, 0], b[todo, 2])
        y = rng.uniform(b[todo, 1], b[todo, 3])
        hit = shapely.contains_xy(geoms[todo], x, y)
        out[todo[hit]] = np.column_stack([x[hit], y[hit]])
        todo = todo[~hit]
    return out


_STATUS_BY_AGE = [  # (max age in days, statuses, weights)
    (3, ["reported", "accepted", "dispatched", "handling"], [3, 2, 3, 2]),
    (
        14,
        ["dispatched", "handling", "handled", "verified", "returned", "escalated"],
        [2, 3, 2, 1, 1, 1],
    ),
    (60, ["handled", "verified", "closed", "parked", "escalated"], [1, 1, 6, 1, 1]),
    (10_000, ["closed", "evaluated", "rejected", "parked"], [10, 6, 1, 1]),
]


def build_incidents(rng, grids: gpd.GeoDataFrame, count: int, as_of: date) -> gpd.GeoDataFrame:
    p = grids["population"].to_numpy(float)
    which = rng.choice(len(grids), size=count, p=p / p.sum())
    xy = _points_in(rng, np.asarray(grids.geometry.values, dtype=object)[which])
    # The classes the sample's cases were first drawn from: a class added to the
    # catalogue later (E07, the livelihood matters) does not redraw the whole city.
    codes = sorted(c for c in CATEGORIES if c[:3] not in ("E07",))
    weights = np.array(
        [4.0 if c.startswith("E01") else 2.0 if c.startswith("E05") else 1.0 for c in codes]
    )
    category = rng.choice(codes, size=count, p=weights / weights.sum())
    end = datetime.combine(as_of, time(0), CHINA_TZ)
    age_days = rng.uniform(0, 365, count)
    hour = rng.normal(13, 3.5, count).clip(6, 23)
    reported = [
        (end - timedelta(days=int(a) + 1)).replace(hour=int(h), minute=int(h % 1 * 60))
        for a, h in zip(age_days, hour, strict=True)
    ]
    status = []
    for a in age_days:
        for max_age, names, w in _STATUS_BY_AGE:
            if a <= max_age:
                status.append(str(rng.choice(names, p=np.array(w) / sum(w))))
                break
    frame = gpd.GeoDataFrame(
        {
            "category": category,
            "status": status,
            "reported_at": [t.isoformat() for t in reported],
            "description": [CATEGORIES[c].name_zh for c in category],
            "reporter": rng.choice(
                ["网格员巡查", "市民热线", "视频监控", "上级交办"],
                count,
                p=[0.55, 0.25, 0.15, 0.05],
            ),
        },
        geometry=shapely.points(xy),
        crs="EPSG:4326",
    )
    return frame.sort_values("reported_at", kind="stable").reset_index(drop=True)


def build_hazards(rng, grids: gpd.GeoDataFrame, count: int, as_of: date) -> gpd.GeoDataFrame:
    p = grids["population"].to_numpy(float)
    which = rng.choice(len(grids), size=count, p=p / p.sum())
    xy = _points_in(rng, np.asarray(grids.geometry.values, dtype=object)[which])
    kinds = rng.choice(sorted(HAZARD_TYPES), size=count)
    geoms = []
    for (x, y), kind in zip(xy, kinds, strict=True):
        if kind in ("construction", "flood", "chemical") and rng.uniform() < 0.7:
            w, h = rng.uniform(40, 180, 2)  # metres
            box = shapely.box(-w / 2, -h / 2, w / 2, h / 2)
            box = shapely.affinity.rotate(box, rng.uniform(0, 90))
            box = shapely.affinity.scale(
                box, 1 / (111_320 * tessellate.LAT0_SCALE), 1 / 110_950, origin=(0, 0)
            )
            geoms.append(shapely.affinity.translate(box, x, y))
        else:
            geoms.append(shapely.Point(x, y))
    names = [f"{HAZARD_TYPES[k][0]}隐患{i + 1:03d}" for i, k in enumerate(kinds)]
    due = [as_of + timedelta(days=int(d)) for d in rng.integers(-30, 180, count)]
    return gpd.GeoDataFrame(
        {
            "name": names,
            "type": kinds,
            "risk_level": rng.choice([1, 2, 3, 4], count, p=[0.05, 0.15, 0.4, 0.4]),
            "next_inspection": [d.isoformat() for d in due],
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def _attach_areas(frame: gpd.GeoDataFrame, index, generation: int) -> gpd.GeoDataFrame:
    """Record each event's areas (code per layer) at report time."""
    xy = shapely.get_coordinates(shapely.point_on_surface(frame.geometry.values))
    result = index.lookup(xy[:, 0], xy[:, 1])
    frame = frame.copy()
    frame["areas"] = result.codes_per_point()
    frame["grid_code"] = [a.get("grid") for a in frame["areas"]]
    frame["generation"] = generation
    return frame


def build(
    store: Store,
    settings: SampleSettings | None = None,
    as_of: date | None = None,
    progress: Progress = print,
) -> dict[str, int]:
    """Build the sample city into ``store`` in one transaction; return counts."""
    from gridmap.lookup import LookupIndex

    settings = settings or SampleSettings()
    as_of = as_of or date.today()
    layers = build_areas(settings, progress)
    rng = np.random.default_rng(settings.seed + 1)
    officers = build_officers(rng, layers)
    # Cells for the points looked up once here (exact whatever their number).
    cells = LookupIndex.cells_for(settings.incidents + settings.hazards)
    index = LookupIndex.from_frames(
        layers, {layer.name: layer for layer in LAYERS}, officers, generation=1, max_cells=cells
    )
    incidents = _attach_areas(
        build_incidents(rng, layers["grid"], settings.incidents, as_of), index, 1
    )
    hazards = _attach_areas(build_hazards(rng, layers["grid"], settings.hazards, as_of), index, 1)
    progress(
        f"generated {len(officers)} officers, {len(incidents)} incidents, {len(hazards)} hazards"
    )
    with store.transaction():
        for layer in LAYERS:
            store.add_layer(layer)
        gen = store.add_generation(
            "2011",
            "Daqing sample before the 2012 reform: 29 streets, 200 neighborhoods",
            activate=True,
        )
        for name, frame in layers.items():
            store.write_areas(name, frame, gen.id)
        store.add_officers(officers)
        ids = store.add_incidents(incidents)
        store.add_hazards(hazards)
        sample_cases.install_routing(store)
        now = datetime.combine(as_of, time(9), CHINA_TZ)
        sample_cases.build_cases(store, ids, incidents, settings.seed + 2, now)
    counts = {name: len(frame) for name, frame in layers.items()}
    counts.update(
        officers=len(officers),
        incidents=len(incidents),
        hazards=len(hazards),
        residents=int(layers["grid"]["population"].sum()),
    )
    return counts


def as_json(counts: dict[str, int]) -> str:
    return json.dumps(counts, ensure_ascii=False)


__all__ = ["SampleSettings", "build", "build_areas", "load_districts", "LAYERS", "pd"]


# The day Daqing's 2012 reform took effect, and the plan it was drawn from.
REFORM_DAY = date(2012, 9, 20)
REFORM_PLAN = "2012年改革：70个社区"


def reform(
    store: Store,
    seconds: float | None = None,
    seed: int = 2012,
    progress: Progress = print,
    steps: int | None = 5000,
    large=None,
):
    """The 2012 reform of the sample city: an automatic plan of 70 communities of
    20,000-40,000 residents, each inside one district, kept among the planner's plans
    (as ``REFORM_PLAN``, on the units of generation 2011) and published from there as
    generation 2012, active since ``REFORM_DAY``; generation 2011 stays queryable as
    history.  Bounded by search steps, not seconds: the same reform on every machine.
    ``large``: the engine that re-homes many events (``gridmap.engines.LargeBatches``)."""
    from boundaries.propose import auto_plan
    from boundaries.publish import PublishRequest, publish
    from boundaries.rules import Bounds
    from boundaries.workspace import Spec

    k, low, high = 70, 20_000, 40_000
    spec = Spec(generation=store.generation(None).id)
    units = spec.units(store)
    result = auto_plan(
        units.units,
        k,
        low,
        high,
        fine=units.fine,
        seconds=seconds,
        seed=seed,
        progress=progress,
        steps=steps,
    )
    store.save_plan(
        REFORM_PLAN,
        spec.as_dict(),
        result.plan.assignment(),
        bounds=Bounds(k, low, high).as_dict(),
    )
    request = PublishRequest(
        "2012",
        description="Daqing reform: 70 communities replace 29 streets and 200 neighborhoods",
        activate_now=True,
        effective=REFORM_DAY,
    )
    return publish(store, units, result.plan, **request.options(), progress=progress, large=large)
