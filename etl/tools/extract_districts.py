"""Rebuild ``etl/sample_data/daqing_districts.geojson`` from the ``cnmaps`` package.

Run once, by hand, in an environment that has ``cnmaps`` (MIT) installed; gridmap itself
never imports it::

    python -m venv /tmp/cnmaps && /tmp/cnmaps/bin/pip install cnmaps geopandas
    /tmp/cnmaps/bin/python etl/tools/extract_districts.py

cnmaps takes these outlines from AMap, so they are in GCJ-02.  We read them raw
(``wgs84=False``) and convert with gridmap's own exact inverse, so the extract does
not depend on cnmaps' one-step approximation.  Neighbouring districts share their
vertices exactly in the source; the conversion is a pure function of each vertex, so
they still do afterwards.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import shapely
from cnmaps import get_adm_maps

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gridmap.coords import gcj02_to_wgs84  # noqa: E402

DISTRICTS = {
    "萨尔图区": ("230602", "Sartu"),
    "龙凤区": ("230603", "Longfeng"),
    "让胡路区": ("230604", "Ranghulu"),
    "红岗区": ("230605", "Honggang"),
    "大同区": ("230606", "Datong"),
}


def main() -> None:
    gdf = get_adm_maps(city="大庆市", level="区县", engine="geopandas", wgs84=False)
    gdf = gdf[gdf["district"].isin(list(DISTRICTS))]
    assert set(gdf["source"]) == {"高德"}, "expected AMap (GCJ-02) outlines"
    features = []
    for name, geom in sorted(
        zip(gdf["district"], gdf["geometry"], strict=False), key=lambda r: DISTRICTS[r[0]]
    ):
        geom = shapely.transform(
            geom, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
        )
        code, name_en = DISTRICTS[name]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": name, "name_en": name_en},
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    out = ROOT / "etl" / "sample_data" / "daqing_districts.geojson"
    out.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(features)} districts to {out}")


if __name__ == "__main__":
    main()
