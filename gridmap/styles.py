"""How gridmap draws its layers: one home for the colours, line styles and labels that
the web map (``web/maps.py`` hands them to ``gridmap.js``) and the QGIS styles written
into a GeoPackage store (``gridmap/stores/layerstyles.py``) both use, so that a store
opened in QGIS looks like the web map."""

from __future__ import annotations

# Incidents: a marker filled by the case's status.
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
UNKNOWN_STATUS_COLOR = "#999999"
INCIDENT_OUTLINE = "#333333"
# Hazards: filled by risk level (1 the highest), outlined in black.
RISK_COLORS = {"1": "#a50026", "2": "#f46d43", "3": "#fee08b", "4": "#66bd63"}
HAZARD_OUTLINE = "#000000"
# Area layers: an outline (no fill), dashed for zones, shown from a zoom level on.
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
DEFAULT_LAYER_STYLE = {"color": "#555555", "weight": 1, "minZoom": 0}
# The field each layer is labelled with (the web map names areas and hazards in popups).
AREA_LABEL = "name"
HAZARD_LABEL = "name"


def layer_style(layer: str) -> dict:
    """The outline of an area layer's areas (a copy: callers may add to it)."""
    return dict(LAYER_STYLE.get(layer, DEFAULT_LAYER_STYLE))
