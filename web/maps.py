"""The map page: a folium (Leaflet) map whose data comes from the API by bounding box.

folium's defaults load jQuery, Bootstrap and Leaflet from CDNs; this page replaces them
with the vendored copies under ``web/static/vendor`` so it works on an offline intranet.
"""

from __future__ import annotations

import html
import json

import folium
from branca.element import MacroElement, Template
from flask import url_for

from web.basemaps import Basemap

STATUS_COLORS = {
    "reported": "#d7301f",
    "accepted": "#ef6548",
    "dispatched": "#fc8d59",
    "handling": "#fdbb84",
    "handled": "#4292c6",
    "verified": "#2171b5",
    "closed": "#41ab5d",
    "evaluated": "#006d2c",
    "rejected": "#969696",
    "returned": "#807dba",
    "parked": "#8c6d31",
    "escalated": "#ce1256",
}
RISK_COLORS = {"1": "#a50026", "2": "#f46d43", "3": "#fee08b", "4": "#66bd63"}
LAYER_STYLE = {
    "district": {"color": "#222222", "weight": 3, "minZoom": 0},
    "street": {"color": "#c0392b", "weight": 2, "dashArray": "6 4", "minZoom": 0},
    "neighborhood": {"color": "#2c7fb8", "weight": 1.5, "minZoom": 10},
    "community": {"color": "#6a51a3", "weight": 2, "minZoom": 9},
    "grid": {"color": "#7f7f7f", "weight": 0.8, "minZoom": 12},
    "police": {"color": "#08306b", "weight": 2, "dashArray": "2 4", "minZoom": 0},
    "traffic": {"color": "#e6550d", "weight": 2, "dashArray": "8 4", "minZoom": 0},
    "fire": {"color": "#cb181d", "weight": 2, "dashArray": "4 4", "minZoom": 0},
}
DEFAULT_ON = {"district", "street", "neighborhood", "community", "grid"}


def _static(path: str) -> str:
    return url_for("static", filename=path)


def render(config: dict, basemap: Basemap | None, panel_html: str = "") -> str:
    """The whole page as HTML."""
    west, south, east, north = config["bounds"]
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
    )
    m.default_js = [
        ("leaflet", _static("vendor/leaflet/leaflet.js")),
        ("markercluster", _static("vendor/leaflet.markercluster/leaflet.markercluster.js")),
        ("gridmap", _static("gridmap.js")),
    ]
    m.default_css = [
        ("leaflet_css", _static("vendor/leaflet/leaflet.css")),
        ("markercluster_css", _static("vendor/leaflet.markercluster/MarkerCluster.css")),
        (
            "markercluster_default_css",
            _static("vendor/leaflet.markercluster/MarkerCluster.Default.css"),
        ),
        ("gridmap_css", _static("gridmap.css")),
    ]
    if basemap is not None:
        for url in basemap.tiles:
            folium.TileLayer(
                tiles=url,
                attr=basemap.attribution,
                name=basemap.name,
                subdomains=basemap.subdomains,
                overlay=False,
            ).add_to(m)
    root = m.get_root()
    root.header.add_child(
        folium.Element(
            f'<title>{html.escape(config["text"]["title"])}</title><link rel="icon" href="data:,">'
        )
    )  # no favicon request, no 404 in the console
    root.html.add_child(folium.Element(panel_html))
    m.add_child(_Init(config))
    return root.render()


class _Init(MacroElement):
    """Starts gridmap.js once folium has created the Leaflet map."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "GridMap.init({{ this._parent.get_name() }}, {{ this.payload }});"
        "{% endmacro %}"
    )

    def __init__(self, config: dict):
        super().__init__()
        # Data inside a <script>: <, > and & as JSON escapes, so no text (an area named
        # "<!--<script>") can end or change the script (what Flask's |tojson does).
        self.payload = (
            json.dumps(config, ensure_ascii=False)
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        )


def layer_config(layers, counts: dict[str, int], title) -> list[dict]:
    out = []
    for layer in layers:
        if not counts.get(layer.name):
            continue
        style = LAYER_STYLE.get(layer.name, {"color": "#555555", "weight": 1, "minZoom": 0})
        out.append(
            {
                "name": layer.name,
                "title": title(layer),
                "kind": layer.kind,
                "parent": layer.parent,
                "visible": layer.name in DEFAULT_ON,
                **style,
            }
        )
    return out
