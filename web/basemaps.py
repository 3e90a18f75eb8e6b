"""Basemaps are configuration: none (offline), OpenStreetMap, Tianditu, AMap.

AMap tiles are drawn in GCJ-02, so with AMap every overlay is shifted to GCJ-02 for
display (the API's ``datum=gcj02``) and a clicked point is shifted back before lookup.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Basemap:
    name: str
    tiles: tuple[str, ...]  # URL templates, drawn in order (Tianditu: map, then labels)
    attribution: str
    subdomains: str = "abc"
    datum: str = "wgs84"


def basemap(name: str, tianditu_key: str = "") -> Basemap | None:
    if name == "none":
        return None
    if name == "osm":
        return Basemap(
            "osm",
            ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",),
            "&copy; OpenStreetMap contributors",
        )
    if name == "tianditu":
        url = "https://t{s}.tianditu.gov.cn/DataServer?T=%s_w&x={x}&y={y}&l={z}&tk=" + tianditu_key
        return Basemap(
            "tianditu", (url % "vec", url % "cva"), "&copy; 天地图 Tianditu", subdomains="01234567"
        )
    if name == "amap":
        return Basemap(
            "amap",
            (
                "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
                "&x={x}&y={y}&z={z}",
            ),
            "&copy; 高德地图 AMap",
            subdomains="1234",
            datum="gcj02",
        )
    raise ValueError(f"unknown basemap {name!r}")
