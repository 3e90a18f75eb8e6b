"""The map page: a folium (Leaflet) map whose data comes from the API by bounding box.

folium's defaults load jQuery, Bootstrap and Leaflet from CDNs; this page replaces them
with the vendored copies under ``web/static/vendor`` so it works on an offline intranet.

Every ``<script>`` of the page is one gridmap writes, with this request's CSP nonce
(``web.security``): the links to the vendored files (:class:`_ScriptLink`), folium's
map header (:class:`_Map`) and the page's script (:data:`_PAGE`).  Nothing is added to
the rendered HTML afterwards, so text in the page (an area's name) cannot gain a nonce.
"""

from __future__ import annotations

import html
import json
from types import SimpleNamespace

import folium
from branca.element import JavascriptLink, MacroElement, Template
from flask import url_for

from gridmap import access, styles
from gridmap.model import hierarchy
from web.basemaps import Basemap
from web.security import nonce

# The colours and line styles live with the QGIS styles of the store (gridmap.styles).
STATUS_COLORS = styles.STATUS_COLORS
RISK_COLORS = styles.RISK_COLORS
LAYER_STYLE = styles.LAYER_STYLE
# A running clock's warning (预警) as the ring around an incident and the lists' badges.
DEADLINE_COLORS = {"due_soon": "#f1c40f", "overdue": "#b2182b"}
DEFAULT_ON = {"district", "street", "neighborhood", "community", "grid"}
# The command centre works cases: hundreds of hazard markers would hide them, so its
# map opens without the hazards layer (one click in the layer list shows it).
HAZARDS_OFF_FOR = frozenset({access.DISPATCHER})


def hazards_on(roles) -> bool:
    """Whether the map opens with the hazards layer shown for a caller of ``roles``."""
    return not HAZARDS_OFF_FOR & set(roles)


def city_base(layers, counts: dict[str, int], bounds, title) -> dict:
    """The offline base (``basemap.js``): the hierarchy above the grids, coarse to fine,
    each level with its number of areas (which sets the zoom its names appear at), and the
    city's extent."""
    names = hierarchy(layers)[:-1]  # the grids themselves are the map's own overlay
    by_name = {x.name: x for x in layers}
    levels = [
        {"name": n, "title": title(by_name[n]), "count": counts[n]} for n in names if counts.get(n)
    ]
    return {"levels": levels, "bounds": list(bounds)}


def _static(path: str) -> str:
    return url_for("static", filename=path)


def render(
    config: dict, basemap: Basemap | None, panel_html: str = "", header_html: str = ""
) -> str:
    """The whole page as HTML: the frame's header (``header_html``) over the map, the
    panel (``panel_html``) over the map's left side."""
    west, south, east, north = config["bounds"]
    m = _Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=False,  # gridmap.js places it: on a phone the panel covers the bottom
        prefer_canvas=True,
    )
    m.default_js = []  # folium's links carry no nonce: ours below do
    m.default_css = [
        ("leaflet_css", _static("vendor/leaflet/leaflet.css")),
        # Not MarkerCluster.Default.css: it colours the plugin's own cluster icons by
        # size, and gridmap.js draws its own (a ring by status).
        ("markercluster_css", _static("vendor/leaflet.markercluster/MarkerCluster.css")),
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
    root._template = _PAGE
    for name, path in (
        ("leaflet", "vendor/leaflet/leaflet.js"),
        ("basemap", "basemap.js"),
        ("markercluster", "vendor/leaflet.markercluster/leaflet.markercluster.js"),
        ("gridmap", "gridmap.js"),
    ):
        root.header.add_child(_ScriptLink(_static(path)), name=name)
    root.header.add_child(
        folium.Element(
            f'<title>{html.escape(config["text"]["title"])}</title><link rel="icon" href="data:,">'
        )
    )  # no favicon request, no 404 in the console
    root.html.add_child(folium.Element(panel_html))
    m.add_child(_Init(config))
    return root.render(nonce=nonce(), frame_header=header_html, page_lang=config["lang"])


# branca's Figure, the page around the map, with the nonce on its one inline script.
_PAGE = Template(
    "<!DOCTYPE html>\n"
    '<html lang="{{ kwargs.page_lang }}">\n'
    "<head>\n"
    "{% if this.title %}<title>{{this.title}}</title>{% endif %}"
    "    {{this.header.render(**kwargs)}}\n"
    "</head>\n"
    '<body class="gm-map-page">\n'
    "    {{ kwargs.frame_header }}\n"
    '    <main id="gm-main" class="gm-map-main">{{this.html.render(**kwargs)}}</main>\n'
    "</body>\n"
    '<script nonce="{{ kwargs.nonce }}">\n'
    "    {{this.script.render(**kwargs)}}\n"
    "</script>\n"
    "</html>\n"
)


class _ScriptLink(JavascriptLink):
    """A link to one of the app's script files, with the page's nonce."""

    _template = Template('<script nonce="{{ kwargs.nonce }}" src="{{ this.url }}"></script>')


# folium's map header (its styles and Leaflet's two global switches) with the nonce on its
# script, and a viewport that lets people zoom the page (folium's forbids it, which fails
# WCAG 1.4.4: the map itself takes pinches, Leaflet stops them reaching the page); the
# map's own HTML and script macros are folium's.
_MAP_HEADER = Template(
    """
    {% macro header(this, kwargs) %}
        <meta name="viewport" content="width=device-width, initial-scale=1.0" />
        <style>
            #{{ this.get_name() }} {
                position: {{this.position}};
                width: {{this.width[0]}}{{this.width[1]}};
                height: {{this.height[0]}}{{this.height[1]}};
                left: {{this.left[0]}}{{this.left[1]}};
                top: {{this.top[0]}}{{this.top[1]}};
            }
            .leaflet-container { font-size: {{this.font_size}}; }
        </style>
        <style>html, body { width: 100%; height: 100%; margin: 0; padding: 0; }</style>
        <style>#map { position:absolute; top:0; bottom:0; right:0; left:0; }</style>
        <script nonce="{{ kwargs.nonce }}">
            L_NO_TOUCH = {{ this.global_switches.no_touch|tojson }};
            L_DISABLE_3D = {{ this.global_switches.disable_3d|tojson }};
        </script>
    {% endmacro %}
    """
)


class _Map(folium.Map):
    """folium's map, its header macro replaced by :data:`_MAP_HEADER` (branca renders a
    macro element from its template's ``module``: only the ``header`` macro differs)."""

    _template = SimpleNamespace(
        module=SimpleNamespace(
            **{
                **folium.Map._template.module.__dict__,
                "header": _MAP_HEADER.module.__dict__["header"],
            }
        )
    )


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
        style = styles.layer_style(layer.name)
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
