"""Unit graphs drawn in ASCII: one character per 1 km square unit, '.' for no unit.

    AAB
    AAB     units r0c0 .. r2c2; the letters are a plan (unit -> district)
    CCB

Squares are laid out in CGCS2000 / 3-degree Gauss-Kruger CM 126E (EPSG:4551), near
Daqing, so every length and area can be worked out by hand.
"""

from __future__ import annotations

import geopandas as gpd
import shapely

from boundaries.graph import UnitGraph

X0, Y0 = 500_000.0, 5_160_000.0  # metres, on the central meridian at about 46.6N
KM = 1000.0


def cells(picture: str) -> list[tuple[str, str, int, int]]:
    """(code, character, row, column) for every unit of the picture."""
    rows = [line.strip() for line in picture.strip().splitlines()]
    return [
        (f"r{r}c{c}", ch, r, c)
        for r, line in enumerate(rows)
        for c, ch in enumerate(line)
        if ch != "."
    ]


def frame(
    picture: str, population=100, parent=None, group=None, households=None
) -> gpd.GeoDataFrame:
    """The units of a picture; ``population``, ``parent``, ``group`` and ``households``
    (default: as many as residents) are one value for all or a picture of their own (a
    character per unit, digits for numbers)."""
    units = cells(picture)

    def per_unit(value, numeric):
        if value is None or isinstance(value, int | float) or len(value) == 1:
            return [value] * len(units)
        drawn = {code: ch for code, ch, _, _ in cells(value)}
        return [int(drawn[code]) if numeric else drawn[code] for code, *_ in units]

    boxes = [
        shapely.box(X0 + c * KM, Y0 - (r + 1) * KM, X0 + (c + 1) * KM, Y0 - r * KM)
        for _, _, r, c in units
    ]
    out = gpd.GeoDataFrame(
        {
            "code": [u[0] for u in units],
            "label": [u[1] for u in units],
            "population": per_unit(population, True),
            "households": per_unit(population if households is None else households, True),
        },
        geometry=boxes,
        crs="EPSG:4551",
    )
    out["parent"] = per_unit(parent, False)
    if group is not None:
        out["group"] = per_unit(group, False)
    return out


def graph(
    picture: str, population=100, parent=None, group=None, households=None, **kw
) -> UnitGraph:
    f = frame(picture, population, parent, group, households)
    return UnitGraph.from_frame(f, parent="parent", group="group" if group else None, **kw)


def plan_of(picture: str, **kw):
    """The graph and the plan the picture's letters draw."""
    from boundaries.plan import Plan

    g = graph(picture, **kw)
    labels = {code: ch for code, ch, _, _ in cells(picture)}
    return g, Plan.from_assignment(g, labels)
