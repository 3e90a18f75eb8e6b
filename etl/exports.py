"""Exports: a layer of one generation, or incidents and hazards with their area codes,
as GeoJSON, GeoPackage, Shapefile or CSV (WKT), in EPSG:4326 or another CRS."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from etl.readers import convert_datum, crs_and_datum
from gridmap.errors import InvalidInput
from gridmap.stores import Store

# Shapefile field names have at most 10 characters: shorten ours knowingly, not silently.
SHAPEFILE_NAMES = {
    "parent_code": "parent",
    "reported_at": "reported",
    "description": "descr",
    "next_inspection": "next_insp",
    "generation": "gen",
}

FORMATS = {
    "geojson": ("GeoJSON", ".geojson"),
    "gpkg": ("GPKG", ".gpkg"),
    "shp": ("ESRI Shapefile", ".shp"),
    "csv": (None, ".csv"),
}


def frame_for(store: Store, what: str, generation: str | None = None) -> gpd.GeoDataFrame:
    if what == "incidents":
        frame = store.incidents(oldest_first=True)
    elif what == "hazards":
        frame = store.hazards()
    else:
        frame = store.areas(what, generation)
        return frame.drop(columns=["id"])
    frame = frame.drop(columns=["id"])
    frame["areas"] = [json.dumps(a, ensure_ascii=False) for a in frame["areas"]]
    return frame


def export(
    store: Store,
    what: str,
    out: str | Path,
    fmt: str = "geojson",
    generation: str | None = None,
    crs: str | None = None,
    datum: str | None = None,
) -> Path:
    """Write ``what``; ``datum`` gcj02 or bd09 shifts the lon/lat into that datum (for AMap
    or Baidu), the exact inverse of what an import with that datum does."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r}: expected one of {', '.join(FORMATS)}", field="format")
    crs, datum = crs_and_datum(crs, datum)
    if datum is not None and crs is not None:
        raise InvalidInput(
            f"--datum {datum} shifts longitude/latitude; it does not go with --crs {crs}",
            field="datum",
        )
    frame = frame_for(store, what, generation)
    if crs:
        frame = frame.to_crs(crs)
    if datum:
        frame = frame.set_geometry(
            convert_datum(frame.geometry.values, datum, to_wgs84=False), crs=frame.crs
        )
    out = Path(out)
    driver, _ = FORMATS[fmt]
    for col in ("gen_to", "generation"):
        if col in frame:
            frame[col] = frame[col].astype("float64")
    if fmt == "csv":
        plain = frame.drop(columns="geometry")
        plain["wkt"] = shapely.to_wkt(frame.geometry.values, rounding_precision=-1)
        plain.to_csv(out, index=False)
    else:
        if out.exists():
            out.unlink()
        kwargs = {}
        if fmt == "shp":
            kwargs = {"encoding": "UTF-8"}
            frame = frame.rename(columns=SHAPEFILE_NAMES)
        pyogrio.write_dataframe(
            frame, out, driver=driver, layer=what if fmt == "gpkg" else None, **kwargs
        )
    return out
