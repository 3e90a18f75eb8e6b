"""GeoJSON out of GeoDataFrames: coordinates rounded to 1e-6 degrees (about 0.1 m),
shifted to GCJ-02 when the map is drawn on AMap tiles."""

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

    return shapely.transform(geoms, move)


def features(
    geoms, properties: list[dict], datum: str = "wgs84", extra: dict | None = None
) -> Response:
    geoms = _display(np.asarray(geoms, dtype=object), datum)
    texts = shapely.to_geojson(geoms)
    props = [json.dumps(p, ensure_ascii=False, default=str) for p in properties]
    parts = [
        f'{{"type":"Feature","geometry":{g},"properties":{p}}}'
        for g, p in zip(texts, props, strict=True)
    ]
    head = json.dumps(extra or {}, ensure_ascii=False)[1:-1]
    body = '{{"type":"FeatureCollection",{}"features":[{}]}}'.format(
        head + "," if head else "",
        ",".join(parts),
    )
    return Response(body, mimetype="application/geo+json")


def records(frame, columns: list[str]) -> list[dict]:
    """Rows as plain dicts (numpy scalars and missing values made JSON-friendly)."""
    out = frame[columns].astype(object).where(frame[columns].notna(), None)
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in out.to_dict("records")
    ]
