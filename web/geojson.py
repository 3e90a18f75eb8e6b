"""GeoJSON out of GeoDataFrames, per RFC 7946: outer rings counterclockwise, coordinates
rounded to 1e-6 degrees (about 0.1 m), shifted to GCJ-02 only when the map is drawn on
AMap tiles (the one departure from WGS 84, asked for by ``datum``)."""

from __future__ import annotations

import json

import numpy as np
import shapely
from flask import Response

from gridmap.coords import wgs84_to_gcj02


def _display(geoms: np.ndarray, datum: str) -> np.ndarray:
    def move(xy: np.ndarray) -> np.ndarray:
        if datum == "gcj02":
            xy = np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
        return np.round(xy, 6)

    # RFC 7946 section 3.1.6: exterior rings counterclockwise, holes clockwise.
    return shapely.orient_polygons(shapely.transform(geoms, move), exterior_cw=False)


def _feature(geometry: str, props: dict, fid) -> str:
    head = "" if fid is None else f'"id":{json.dumps(fid, ensure_ascii=False)},'
    body = json.dumps(props, ensure_ascii=False, default=str)
    return f'{{"type":"Feature",{head}"geometry":{geometry},"properties":{body}}}'


def features(
    geoms,
    properties: list[dict],
    datum: str = "wgs84",
    extra: dict | None = None,
    ids: list | None = None,
    media: str = "application/geo+json",
) -> Response:
    """A FeatureCollection; ``ids`` become each feature's ``id``, ``extra`` the
    collection's other members (written before the features)."""
    geoms = _display(np.asarray(geoms, dtype=object), datum)
    texts = shapely.to_geojson(geoms)
    ids = ids if ids is not None else [None] * len(texts)
    parts = [_feature(g, p, i) for g, p, i in zip(texts, properties, ids, strict=True)]
    head = json.dumps(extra or {}, ensure_ascii=False)[1:-1]
    body = '{{"type":"FeatureCollection",{}"features":[{}]}}'.format(
        head + "," if head else "",
        ",".join(parts),
    )
    return Response(body, mimetype=media)


def feature(geom, props: dict, fid, extra: dict | None = None) -> Response:
    """One Feature with its ``id`` (and ``extra`` members, such as OGC API's links)."""
    (text,) = shapely.to_geojson(_display(np.asarray([geom], dtype=object), "wgs84"))
    body = _feature(text, props, fid)
    if extra:
        body = body[:-1] + "," + json.dumps(extra, ensure_ascii=False)[1:]
    return Response(body, mimetype="application/geo+json")


def records(frame, columns: list[str]) -> list[dict]:
    """Rows as plain dicts (numpy scalars and missing values made JSON-friendly)."""
    out = frame[columns].astype(object).where(frame[columns].notna(), None)
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in out.to_dict("records")
    ]
