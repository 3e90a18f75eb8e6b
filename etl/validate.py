"""The validation report for a boundary layer, made before anything is written.

Each problem names the feature (row number in the file, from 1, and its code), what is
wrong and where (a lon/lat inside the problem).  With ``repair=True`` the fixable
problems are fixed and every change is listed; the rest stay in the report.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import shapely

from gridmap.errors import InvalidInput, say
from gridmap.geometry import lonlat_area_m2

POLYGONAL = {"Polygon", "MultiPolygon"}


@dataclass
class Problem:
    kind: str
    message: str
    row: int | None = None
    code: str | None = None
    lon: float | None = None
    lat: float | None = None
    fixed: bool = False

    def line(self) -> str:
        who = (
            f"row {self.row}" + (f" (code {self.code})" if self.code else "")
            if self.row
            else "layer"
        )
        where = f" at {self.lon:.6f}, {self.lat:.6f}" if self.lon is not None else ""
        return f"{'fixed: ' if self.fixed else ''}{who}: {self.kind}: {self.message}{where}"


@dataclass
class Report:
    source: str
    features: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # warnings: what was assumed or missing

    @property
    def ok(self) -> bool:
        return not any(not p.fixed for p in self.problems)

    def add(
        self,
        kind: str,
        message: str,
        row: int | None = None,
        code=None,
        point=None,
        fixed: bool = False,
    ) -> Problem:
        lon, lat = (point.x, point.y) if point is not None and not point.is_empty else (None, None)
        p = Problem(kind, message, row, None if code is None else str(code), lon, lat, fixed)
        self.problems.append(p)
        return p

    def text(self) -> str:
        open_ = [p for p in self.problems if not p.fixed]
        fixed = [p for p in self.problems if p.fixed]
        head = f"{self.source}: {self.features} features, {len(open_)} problems" + (
            f", {len(fixed)} repaired" if fixed else ""
        )
        return "\n".join(
            [head, *("  " + p.line() for p in self.problems), *("  note: " + n for n in self.notes)]
        )

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "features": self.features,
            "ok": self.ok,
            "problems": [asdict(p) for p in self.problems],
            "notes": list(self.notes),
        }


class ImportRefused(InvalidInput):
    """The file has problems: nothing was written.  ``report`` lists them."""

    def __init__(self, report: Report):
        super().__init__(report.text(), field="file")
        self.report = report


_LOCATION = re.compile(r"\[(-?[\d.eE+-]+) (-?[\d.eE+-]+)\]")


def _where(reason: str, geom) -> shapely.Point:
    m = _LOCATION.search(reason or "")
    if m:
        return shapely.Point(float(m.group(1)), float(m.group(2)))
    return shapely.point_on_surface(geom) if geom is not None else shapely.Point()


def _polygonal(geom):
    """The polygonal part of a geometry (after make_valid), as a MultiPolygon or None."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in POLYGONAL and not g.is_empty]
    polys = [p for g in parts for p in shapely.get_parts(g)]
    return shapely.MultiPolygon(polys) if polys else None


def validate_layer(
    frame: gpd.GeoDataFrame,
    source: str,
    code_field: str = "code",
    name_field: str | None = None,
    parents: gpd.GeoDataFrame | None = None,
    tolerance_m2: float = 1.0,
    repair: bool = False,
) -> tuple[gpd.GeoDataFrame, Report]:
    """Check (and with ``repair`` fix) a polygon layer; return the areas and the report.

    ``parents``: the parent layer's areas (code, geometry) when this layer must tile it;
    each area's parent is the one it overlaps most, recorded as ``parent_code``.
    """
    report = Report(source, len(frame))
    if code_field not in frame:
        raise InvalidInput(
            say(
                "{source}: no code field {code_field!r}; the fields are {fields}; "
                "choose one with --code-field",
                source=source,
                code_field=code_field,
                fields=", ".join(c for c in frame.columns if c != "geometry"),
            ),
            field="code_field",
        )
    if name_field and name_field not in frame:
        raise InvalidInput(
            say("{source}: no name field {name_field!r}", source=source, name_field=name_field),
            field="name_field",
        )
    frame = frame.reset_index(drop=True).copy()
    codes = frame[code_field].astype(object).where(frame[code_field].notna(), None)
    codes = codes.map(lambda c: None if c is None or str(c).strip() == "" else str(c).strip())
    geoms = np.asarray(frame.geometry.values, dtype=object).copy()
    keep = np.ones(len(frame), dtype=bool)

    for i, (code, g) in enumerate(zip(codes, geoms, strict=True)):
        row = i + 1
        if code is None:
            report.add(
                "missing code",
                say("field {code_field!r} is empty", code_field=code_field),
                row,
                point=None if g is None else shapely.point_on_surface(g),
            )
        if g is None or g.is_empty:
            p = report.add("empty geometry", say("the geometry is empty or missing"), row, code)
            if repair:
                p.fixed, keep[i] = True, False
                p.message = say("{message} (feature dropped)", message=p.message)
            continue
        if g.geom_type not in POLYGONAL:
            report.add(
                "geometry type",
                say("a {type} in a polygon layer", type=g.geom_type),
                row,
                code,
                shapely.point_on_surface(g),
            )
            continue
        if not g.is_valid:
            reason = shapely.is_valid_reason(g)
            kind = "self-intersection" if "Self-intersection" in reason else "invalid geometry"
            p = report.add(kind, reason.split("[")[0], row, code, _where(reason, g))
            if repair:
                fixed = _polygonal(shapely.make_valid(g))
                if fixed is not None:
                    geoms[i] = fixed
                    p.fixed = True
                    p.message = say("{message} (repaired with make_valid)", message=p.message)
    dup = codes.duplicated(keep="first") & codes.notna()
    for i in np.flatnonzero(dup.to_numpy()):
        first = int(np.argmax((codes == codes.iloc[i]).to_numpy())) + 1
        report.add(
            "duplicate code",
            say("code {code} repeats row {first}", code=codes.iloc[i], first=first),
            i + 1,
            codes.iloc[i],
            shapely.point_on_surface(geoms[i]) if geoms[i] else None,
        )

    usable = keep & np.array(
        [
            g is not None and not g.is_empty and g.geom_type in POLYGONAL and g.is_valid
            for g in geoms
        ]
    )
    if usable.any():
        _check_topology(report, geoms, codes, usable, parents, tolerance_m2, repair)
    frame = frame.assign(geometry=geoms)
    frame["code"] = codes
    if name_field:
        frame["name"] = frame[name_field].astype(str)
    elif "name" not in frame:
        frame["name"] = codes
    frame = frame[keep].reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326"), report


def _area(geom) -> float:
    return 0.0 if geom.is_empty else float(lonlat_area_m2([geom])[0])


def _check_topology(report, geoms, codes, usable, parents, tolerance_m2, repair) -> None:
    idx = np.flatnonzero(usable)
    # Overlaps inside the layer: pairs whose interiors meet (neighbours that only share an
    # edge are skipped before any intersection is computed).
    a, b = shapely.STRtree(geoms[idx]).query(geoms[idx], predicate="intersects")
    a, b = idx[a[a < b]], idx[b[a < b]]
    inner = ~shapely.touches(geoms[a], geoms[b])
    a, b = a[inner], b[inner]
    overlaps = shapely.intersection(geoms[a], geoms[b])
    areas = lonlat_area_m2(overlaps) if len(overlaps) else np.empty(0)
    for k in np.flatnonzero(areas > tolerance_m2):
        ri, rj = a[k], b[k]
        p = report.add(
            "overlap",
            say(
                "overlaps row {row} (code {code}) by {area:,.0f} m²",
                row=ri + 1,
                code=codes.iloc[ri],
                area=areas[k],
            ),
            rj + 1,
            codes.iloc[rj],
            shapely.point_on_surface(overlaps[k]),
        )
        if repair:
            fixed = _polygonal(shapely.difference(geoms[rj], geoms[ri]))
            if fixed is not None:
                geoms[rj] = fixed
                p.fixed = True
                p.message = say(
                    "{message}; the overlap now belongs to row {row} only",
                    message=p.message,
                    row=ri + 1,
                )
    if parents is None or not len(parents):
        return
    parent_union = shapely.union_all(parents.geometry.values)
    # Sticking out of the parent layer.
    for i in idx:
        out = shapely.difference(geoms[i], parent_union)
        area = _area(out)
        if area > tolerance_m2:
            p = report.add(
                "outside parent",
                say("{area:,.0f} m² lie outside every parent area", area=area),
                i + 1,
                codes.iloc[i],
                shapely.point_on_surface(out),
            )
            if repair:
                fixed = _polygonal(shapely.intersection(geoms[i], parent_union))
                if fixed is not None:
                    geoms[i] = fixed
                    p.fixed = True
                    p.message = say("{message} (clipped to the parent layer)", message=p.message)
    # Gaps: parts of the parents no child covers.
    children = shapely.union_all(geoms[usable])
    gaps = shapely.get_parts(shapely.difference(parent_union, children))
    for gap in gaps:
        area = _area(gap)
        if area <= tolerance_m2:
            continue
        p = report.add(
            "gap",
            say("{area:,.0f} m² of the parent layer are in no area", area=area),
            None,
            None,
            shapely.point_on_surface(gap),
        )
        if repair:
            # Give the gap to the neighbour that shares the longest border with it.
            shared = [
                (shapely.length(shapely.intersection(gap.boundary, geoms[i].boundary)), i)
                for i in np.flatnonzero(usable)
            ]
            length, best = max(shared)
            if length > 0:
                geoms[best] = _polygonal(shapely.union(geoms[best], gap))
                p.fixed = True
                p.message = say(
                    "{message} (given to row {row}, code {code})",
                    message=p.message,
                    row=best + 1,
                    code=codes.iloc[best],
                )


def assign_parents(frame: gpd.GeoDataFrame, parents: gpd.GeoDataFrame) -> list[str | None]:
    """Each area's parent: the parent area it overlaps most."""
    tree = shapely.STRtree(parents.geometry.values)
    out = []
    for g in frame.geometry.values:
        cand = tree.query(g, predicate="intersects")
        if not len(cand):
            out.append(None)
            continue
        areas = shapely.area(shapely.intersection(parents.geometry.values[cand], g))
        out.append(parents["code"].iloc[cand[int(np.argmax(areas))]])
    return out
