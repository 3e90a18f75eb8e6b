"""QGIS styles of a GeoPackage store's layers, in the ``layer_styles`` table QGIS reads
(and writes, when a user saves a style "in the database"): opened in QGIS, the store
shows the web map's colours, line styles and labels (from :mod:`gridmap.styles`).

Each style is QGIS's own QML (a renderer and simple labels) with an SLD twin for the
tools that read SLD.  Leaflet's widths are screen pixels, and so are the QML's; the web
map's ``minZoom`` becomes QGIS's scale-based visibility.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from gridmap import catalogue, styles

# Leaflet's scale at zoom 0 on a 96 dpi screen, at the equator (OGC's 0.28 mm pixel).
_SCALE_AT_ZOOM0 = 559_082_264


def _rgba(color: str, alpha: int = 255) -> str:
    h = color.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _options(**values) -> str:
    # ``prop`` elements: what every QGIS 3 reads (3.26 and later write an Option map, and
    # still read these), so the styles show in the LTR releases cities run too.
    return "".join(f'<prop k="{k}" v={quoteattr(str(v))}/>' for k, v in values.items())


def _line(color: str, width: float, dash: str | None) -> str:
    dashed = {"use_custom_dash": "1", "customdash": dash.replace(" ", ";")} if dash else {}
    return (
        '<layer class="SimpleLine" enabled="1" locked="0" pass="0">'
        + _options(
            line_color=_rgba(color),
            line_width=width,
            line_width_unit="Pixel",
            line_style="solid",
            customdash_unit="Pixel",
            capstyle="round",
            joinstyle="round",
            **dashed,
        )
        + "</layer>"
    )


def _marker(fill: str, outline: str, size: float, width: float) -> str:
    return (
        '<layer class="SimpleMarker" enabled="1" locked="0" pass="0">'
        + _options(
            name="circle",
            color=_rgba(fill, 230),
            outline_color=_rgba(outline),
            outline_width=width,
            outline_width_unit="Pixel",
            size=size,
            size_unit="Pixel",
        )
        + "</layer>"
    )


def _fill(fill: str, outline: str, width: float) -> str:
    return (
        '<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
        + _options(
            color=_rgba(fill, 178),
            style="solid",
            outline_color=_rgba(outline),
            outline_width=width,
            outline_width_unit="Pixel",
            outline_style="solid",
        )
        + "</layer>"
    )


def _legend(names: tuple[str, str]) -> str:
    """A legend entry as people read it: Chinese first, then English."""
    return f"{names[0]} {names[1]}"


def _symbol(kind: str, name: str, layers: str) -> str:
    return (
        f'<symbol type="{kind}" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f"{layers}</symbol>"
    )


def _labels(field: str | None, color: str = "#222222") -> str:
    if field is None:
        return ""
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName="{field}" isExpression="0" fontSize="9" fontSizeUnit="Point"'
        f' textColor="{_rgba(color)}" textOpacity="1" fontFamily="Noto Sans CJK SC">'
        '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM"'
        ' bufferColor="255,255,255,255" bufferOpacity="1"/></text-style>'
        '<placement placement="0" dist="0" priority="5"/>'
        '<rendering obstacle="1" scaleVisibility="0" drawLabels="1"/>'
        "</settings></labeling>"
    )


def _qml(renderer: str, labels: str, min_zoom: float = 0) -> str:
    scale = _SCALE_AT_ZOOM0 / 2**min_zoom if min_zoom else 0
    visibility = f'hasScaleBasedVisibilityFlag="{1 if scale else 0}" minScale="{scale:.0f}"'
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        f'<qgis version="3.28.0" styleCategories="Symbology|Labeling|Rendering"'
        f' {visibility} maxScale="0" labelsEnabled="{1 if labels else 0}">'
        f"{renderer}{labels}</qgis>"
    )


def _categorized(field: str, symbols: list[tuple[str, str, str]], kind: str, default: str) -> str:
    """A categorized renderer on ``field``: (value, label, symbol layers) per category."""
    categories = "".join(
        f'<category symbol="{i}" value={quoteattr(v)} label={quoteattr(label)} render="true"/>'
        for i, (v, label, _) in enumerate(symbols)
    )
    defs = "".join(_symbol(kind, str(i), layers) for i, (_, _, layers) in enumerate(symbols))
    return (
        f'<renderer-v2 type="categorizedSymbol" attr="{field}" symbollevels="0"'
        f' enableorderby="0" forceraster="0"><categories>{categories}</categories>'
        f"<symbols>{defs}</symbols>"
        f"<source-symbol>{_symbol(kind, '0', default)}</source-symbol></renderer-v2>"
    )


def _rule_based(rules: list[tuple[str, str, str]]) -> str:
    """A rule-based renderer: (filter expression, legend label, symbol) per rule."""
    items = "".join(
        f'<rule key="r{i}" symbol="{i}" filter={quoteattr(expression)} label={quoteattr(label)}/>'
        for i, (expression, label, _) in enumerate(rules)
    )
    symbols = "".join(
        symbol.replace('name=""', f'name="{i}"', 1) for i, (_, _, symbol) in enumerate(rules)
    )
    return (
        '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0">'
        f'<rules key="root">{items}</rules><symbols>{symbols}</symbols></renderer-v2>'
    )


def _sld(name: str, rules: list[tuple[str | None, str, str]]) -> str:
    """An SLD 1.1 of (filter value of ``status``/``risk_level`` or None, symbolizer) rules."""
    body = ""
    for value, field, symbolizer in rules:
        where = (
            "<ogc:Filter><ogc:PropertyIsEqualTo>"
            f"<ogc:PropertyName>{field}</ogc:PropertyName><ogc:Literal>{value}</ogc:Literal>"
            "</ogc:PropertyIsEqualTo></ogc:Filter>"
            if value is not None
            else ""
        )
        body += f"<se:Rule><se:Name>{value or name}</se:Name>{where}{symbolizer}</se:Rule>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld"'
        ' xmlns:se="http://www.opengis.net/se" xmlns:ogc="http://www.opengis.net/ogc">'
        f"<NamedLayer><se:Name>{name}</se:Name><UserStyle><se:Name>{name}</se:Name>"
        f"<se:FeatureTypeStyle>{body}</se:FeatureTypeStyle></UserStyle></NamedLayer>"
        "</StyledLayerDescriptor>"
    )


def _stroke(color: str, width: float, dash: str | None = None) -> str:
    params = (
        f'<se:SvgParameter name="stroke">{color}</se:SvgParameter>'
        f'<se:SvgParameter name="stroke-width">{width}</se:SvgParameter>'
    )
    if dash:
        params += f'<se:SvgParameter name="stroke-dasharray">{dash}</se:SvgParameter>'
    return f"<se:Stroke>{params}</se:Stroke>"


def _point_sld(fill: str, outline: str) -> str:
    return (
        "<se:PointSymbolizer><se:Graphic><se:Mark><se:WellKnownName>circle</se:WellKnownName>"
        f'<se:Fill><se:SvgParameter name="fill">{fill}</se:SvgParameter></se:Fill>'
        f"{_stroke(outline, 1)}</se:Mark><se:Size>12</se:Size></se:Graphic></se:PointSymbolizer>"
    )


def style_for(table: str) -> tuple[str, str] | None:
    """(QML, SLD) of a feature table of the store; None for a table gridmap does not draw."""
    if table == "incidents":
        cats = [
            (st, _legend(catalogue.STATUSES[st]), _marker(c, styles.INCIDENT_OUTLINE, 12, 1))
            for st, c in styles.STATUS_COLORS.items()
        ]
        default = _marker(styles.UNKNOWN_STATUS_COLOR, styles.INCIDENT_OUTLINE, 12, 1)
        qml = _qml(_categorized("status", cats, "marker", default), "")
        sld = _sld(
            table,
            [
                (st, "status", _point_sld(c, styles.INCIDENT_OUTLINE))
                for st, c in styles.STATUS_COLORS.items()
            ],
        )
        return qml, sld
    if table == "hazards":
        # Points and polygons share the table, and a QGIS symbol draws one kind: a rule
        # per risk level and kind (QGIS shows the table as a layer per kind, each with
        # this style, each drawing its own rules), as the web map draws them.
        rules = []
        for level, color in styles.RISK_COLORS.items():
            legend = _legend(catalogue.RISK_LEVELS[int(level)])
            point = _symbol("marker", "", _marker(color, styles.HAZARD_OUTLINE, 14, 2))
            area = _symbol("fill", "", _fill(color, styles.HAZARD_OUTLINE, 1))
            for kind, symbol in (("Point", point), ("Polygon", area)):
                rules.append(
                    (
                        f"\"risk_level\" = {level} AND geometry_type($geometry) = '{kind}'",
                        legend,
                        symbol,
                    )
                )
        qml = _qml(_rule_based(rules), _labels(styles.HAZARD_LABEL))
        sld = _sld(
            table,
            [
                (level, "risk_level", _point_sld(c, styles.HAZARD_OUTLINE))
                for level, c in styles.RISK_COLORS.items()
            ],
        )
        return qml, sld
    if table.startswith("area_"):
        spec = styles.layer_style(table.removeprefix("area_"))
        line = _line(spec["color"], spec["weight"], spec.get("dashArray"))
        renderer = (
            '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0"'
            f' forceraster="0"><symbols>{_symbol("fill", "0", line)}</symbols></renderer-v2>'
        )
        qml = _qml(renderer, _labels(styles.AREA_LABEL, spec["color"]), spec["minZoom"])
        symbolizer = (
            "<se:PolygonSymbolizer>"
            + _stroke(spec["color"], spec["weight"], spec.get("dashArray"))
            + "</se:PolygonSymbolizer>"
        )
        return qml, _sld(table, [(None, "", symbolizer)])
    return None
