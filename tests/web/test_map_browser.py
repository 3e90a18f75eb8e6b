"""The officer's map on a desk and on a phone in a real headless Chromium: clusters in the
legend's status colours, the "what is here" popup inside a 360 px screen with numbers to
tap, and an attribution without a flag.  Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import re

import numpy as np
import pytest
import shapely

from gridmap import styles
from gridmap.catalogue import STATUSES
from gridmap.stores.gpkg import GeoPackageStore
from tests.web.test_browser import _clickable_point, _signed_in

pytestmark = pytest.mark.browser

# Regional indicator symbols: the two letters of an emoji flag.
FLAG = re.compile("[\U0001f1e6-\U0001f1ff]")

ARCS = """Array.from(document.querySelectorAll('.gm-count')).map(icon => ({
  label: icon.querySelector('[role=img]').getAttribute('aria-label'),
  count: Number(icon.querySelector('svg text').textContent),
  arcs: Array.from(icon.querySelectorAll('circle.gm-arc')).map(
    a => [a.dataset.status, a.getAttribute('stroke')])
}))"""


def _no_flag(p) -> None:
    attribution = p.page.locator(".leaflet-control-attribution")
    assert attribution.locator("svg").count() == 0
    assert not FLAG.search(attribution.inner_text())
    assert "Leaflet" in attribution.inner_text()


def test_clusters_carry_the_legends_status_colours(browser, live_server, web_db):
    # The served store (the session's web store, which earlier tests change: escalations,
    # new reports), not the sample city it was copied from.
    with GeoPackageStore(web_db) as store:
        incidents = store.incidents()
    p = _signed_in(
        browser, live_server, web_db, "dispatcher", viewport={"width": 1366, "height": 768}
    )
    try:
        p.open("/map")
        icons = p.js(ARCS)
        assert icons, "no cluster at city zoom"
        drawn = set()
        for icon in icons:
            for status, colour in icon["arcs"]:
                assert colour == styles.STATUS_COLORS[status]
                drawn.add(status)
            assert str(icon["count"]) in icon["label"]
        # Every status the city's incidents are in has its colour in some ring (every
        # incident is in view at city zoom), and its name in the words beside it.
        assert drawn == set(incidents["status"])
        labels = " ".join(icon["label"] for icon in icons)
        assert all(STATUSES[s][0] in labels for s in drawn)
        # The legend's swatches are the same colours.
        legend = p.js(
            "Array.from(document.querySelectorAll('.gm-legend i:not(.gm-ring)'))"
            ".map(i => getComputedStyle(i).backgroundColor)"
        )
        rgb = {
            "rgb({}, {}, {})".format(*(int(c[i : i + 2], 16) for i in (1, 3, 5)))
            for c in (styles.STATUS_COLORS[s] for s in drawn)
        }
        assert rgb <= set(legend)
        _no_flag(p)
        p.shot("map-clusters-1366")
        # Fewer incidents than the API clusters (one grid's): Leaflet.markercluster groups
        # them in the browser, drawn the same way.
        code = incidents["grid_code"].value_counts().index[0]
        mine = incidents[incidents["grid_code"] == code]
        p.open(f"/grid/{code}")
        p.js("void GridMap.map.setZoom(13, {animate: false})")
        p.idle()
        p.page.locator(".gm-count svg").first.wait_for(timeout=10_000)  # drawn in chunks
        icons = p.js(ARCS)
        assert icons, "no cluster of one grid's incidents at zoom 13"
        for icon in icons:
            assert icon["arcs"]
            for status, colour in icon["arcs"]:
                assert colour == styles.STATUS_COLORS[status]
                assert status in set(mine["status"])
        assert sum(icon["count"] for icon in icons) <= len(mine)
        p.shot("map-grid-clusters-1366")
        assert p.errors == []
    finally:
        p.close()


def test_the_area_filter_zooms_outlines_and_filters_and_names_are_the_base(
    browser, live_server, web_db
):
    with GeoPackageStore(web_db) as store:
        incidents = store.incidents()
        grids = store.area_names("grid")
        names = store.area_names("neighborhood")
    parent = incidents["grid_code"].map(lambda g: grids[g][1])
    code = parent.value_counts().index[0]  # the community with the most cases
    p = _signed_in(
        browser, live_server, web_db, "dispatcher", viewport={"width": 1366, "height": 768}
    )
    try:
        p.open("/map")
        # No tiles configured: the districts' names over a light base of the city.
        assert p.js("GridMap.base.labelled") == "district"
        shown = p.js(
            "Array.from(document.querySelectorAll('.gm-base-label')).map(x => x.textContent)"
        )
        assert len(shown) == 5 and all(name for name in shown)
        whole = p.js("GridMap.map.getZoom()")
        p.page.focus("#gm-area")  # its choices come when it is first used
        p.page.select_option("#gm-area", code)
        p.idle()
        # Zoomed to the community, its outline drawn, and only its cases counted.
        assert p.js("GridMap.map.getZoom()") > whole
        inside = p.js(
            "(() => { const b = GridMap.map.getBounds(); let n = 0;"
            " GridMap.layers.neighborhood.eachLayer(l => {"
            f" if (l.feature.properties.code === '{code}'"
            " && b.contains(l.getBounds()) && l.options.weight === 4) n += 1; }); return n; })()"
        )
        assert inside == 1
        assert p.js("window.gridmapState.incidentTotal") == int((parent == code).sum())
        assert p.page.locator("#gm-area option:checked").inner_text().startswith(names[code][0])
        # Finer names as one zooms in.
        assert p.js("GridMap.base.labelled") in {"street", "neighborhood"}
        p.shot("map-area-filter-1366")
        # The board's link (?area=) opens the map on the same filter.
        p.open(f"/map?area={code}")
        assert p.page.input_value("#gm-area") == code
        assert p.js("window.gridmapState.incidentTotal") == int((parent == code).sum())
        assert p.errors == []
    finally:
        p.close()


def test_the_phone_popup_fits_360_px_and_its_numbers_are_links(
    browser, live_server, web_db, sample_frames, sample_store
):
    grids = sample_frames["grid"]
    grid = grids.iloc[int(np.argmax(shapely.area(grids.geometry.values) < 1e-4))]
    lon, lat = _clickable_point(grid.geometry)
    officer = next(o for o in sample_store.officers("grid") if o.area_code == grid["code"])
    p = _signed_in(
        browser,
        live_server,
        web_db,
        "dispatcher",
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    try:
        p.open("/map")
        _no_flag(p)
        # The legend folds to one tap at the top (not hidden, not under the panel), and the
        # scale bar sits under the zoom buttons, clear of the panel.
        panel = p.page.locator("#gm-panel").bounding_box()
        p.page.locator(".gm-legend summary").click()
        legend = p.page.locator(".gm-legend").bounding_box()
        assert legend["y"] + legend["height"] <= panel["y"] and legend["x"] + legend["width"] <= 360
        assert p.page.locator(".gm-legend i").first.is_visible()
        p.shot("map-legend-360")
        p.page.locator(".gm-legend summary").click()
        scale = p.page.locator(".leaflet-control-scale").bounding_box()
        assert scale["y"] + scale["height"] <= panel["y"]
        p.js(f"void GridMap.map.setView([{lat}, {lon}], 15)")
        p.idle()
        # No marker under the click: it lands on the map.
        p.js("void (GridMap.incidents.clearLayers(), GridMap.incidentCounts.clearLayers())")
        x, y = p.js(
            f"(() => {{ const q = GridMap.map.latLngToContainerPoint([{lat}, {lon}]);"
            " return [q.x, q.y]; })()"
        )
        p.page.mouse.click(x, y)
        popup = p.page.locator(".leaflet-popup")
        popup.locator(".gm-lookup").wait_for(timeout=10_000)
        p.idle()  # the popup's pan has settled
        box = popup.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        assert box["y"] >= 0 and box["y"] + box["height"] <= 740
        # Nothing of it under the panel at the bottom of a phone's screen.
        panel = p.page.locator("#gm-panel").bounding_box()
        assert box["y"] + box["height"] <= panel["y"]
        # The title is clear of the zoom buttons.
        zoom = p.page.locator(".leaflet-control-zoom").bounding_box()
        title = popup.locator(".gm-lookup strong").first.bounding_box()
        assert title["y"] >= zoom["y"] + zoom["height"] or title["x"] >= zoom["x"] + zoom["width"]
        tel = popup.locator("a[href^='tel:']")
        assert tel.count() >= 1
        assert officer.phone in tel.first.inner_text()
        digits = re.sub(r"[^0-9+]", "", officer.phone)
        assert tel.first.get_attribute("href") == f"tel:{digits}"
        p.shot("map-popup-360")
        assert p.errors == []
    finally:
        p.close()
