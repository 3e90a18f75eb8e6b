"""The map pages in a real headless Chromium (Debian's), driven by Playwright.

Screenshots go to test-output/screenshots/ for a person to look at.  These tests never
skip: without Chromium they fail (``make test`` installs it).
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
import shapely

from gridmap.catalogue import OPEN_STATUSES
from tests.accounts import PASSWORD, token_for, user_of

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


class Page:
    """A page with every request and console message recorded."""

    def __init__(self, browser, base: str, locale: str = "zh-CN", **context):
        options = {"viewport": {"width": 1280, "height": 800}, "locale": locale, **context}
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.base = base
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.idle()

    def idle(self) -> None:
        # Polled from here: Playwright's wait_for_function evaluates strings inside the
        # page, which the app's Content-Security-Policy (no unsafe-eval) rightly refuses.
        self.page.wait_for_timeout(300)  # past the map's move debounce
        deadline = time.monotonic() + 30
        settled = (
            "() => !!(window.gridmapState && window.gridmapState.ready"
            " && !window.gridmapState.waiting && window.gridmapState.pending === 0)"
        )
        while not self.page.evaluate(settled):
            assert time.monotonic() < deadline, "the map did not settle within 30 s"
            self.page.wait_for_timeout(50)

    def toggle(self, overlay: str) -> None:
        """Tick or untick an overlay in the layer control."""
        self.page.locator(".leaflet-control-layers").get_by_text(overlay, exact=True).click()
        self.idle()

    def js(self, expression: str):
        return self.page.evaluate(expression)

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


def _signed_in(browser, live_server, web_db, *roles, areas=(), department=None, **context) -> Page:
    """A browser signed in through the login page as a user holding ``roles`` (``context``:
    Playwright's options, such as a phone's viewport)."""
    p = Page(browser, live_server, **context)
    name = user_of(f"gpkg://{web_db}", *roles, areas=areas, department=department)
    p.page.goto(live_server + "/login")
    p.page.fill("#gm-name", name)
    p.page.fill("#gm-password", PASSWORD.format(name=name))
    with p.page.expect_navigation():
        p.page.click("#gm-login button[type=submit]")
    assert "/login" not in p.page.url, p.page.content()
    return p


@pytest.fixture()
def page(browser, live_server, web_db):
    """A dispatcher's browser."""
    p = _signed_in(browser, live_server, web_db, "dispatcher")
    yield p
    p.close()


def test_a_signed_in_planner_uses_the_plan_api_from_the_page(browser, live_server, web_db):
    p = _signed_in(browser, live_server, web_db, "planner")
    made = p.page.evaluate(
        """async () => {
            const layer = await (await fetch("/api/layers/neighborhood?zoom=8")).json();
            const assignment = {};
            for (const f of layer.features) assignment[f.properties.code] =
                f.properties.code.slice(0, 6);
            const r = await fetch("/api/plans", {method: "POST",
              headers: {"Content-Type": "application/json"},
              body: JSON.stringify({name: "浏览器中的方案", split_into: "none", assignment})});
            return [r.status, await r.json()];
        }"""
    )
    assert made[0] == 201 and made[1]["districts"] == 5, made
    listed = p.page.evaluate("async () => (await fetch('/api/plans')).status")
    assert listed == 200
    p.close()


def test_map_page_loads_offline_without_errors(page):
    page.open("/map")
    assert page.js("typeof L === 'object' && L.version") == "1.9.4"
    page.shot("map")
    assert page.errors == []
    outside = [
        u
        for u in page.requests
        if urlparse(u).hostname not in ("127.0.0.1",) and not u.startswith("data:")
    ]
    assert outside == [], outside
    assert any("/api/layers/district" in u for u in page.requests)


def test_boundaries_incidents_and_hazards_are_drawn(page, sample_store, sample_frames):
    page.open("/map")
    count = "(l) => Object.keys(l._layers).length"
    view = shapely.box(*page.js("GridMap.map.getBounds().toBBoxString().split(',').map(Number)"))
    for layer in ("district", "street"):
        in_view = shapely.intersects(sample_frames[layer].geometry.values, view).sum()
        assert page.js(f"({count})(GridMap.layers.{layer})") == in_view > 0
    # At city zoom incidents arrive counted per screen cell; the counts add up to all of them.
    total = page.js(
        "Array.from(document.querySelectorAll('.gm-count svg text'))"
        ".reduce((s, e) => s + Number(e.textContent), 0)"
    )
    assert total == len(sample_store.incidents())
    # The dispatcher's map opens without hazards; the layer list shows them.
    assert not page.js("GridMap.map.hasLayer(GridMap.hazards)")
    page.toggle("隐患")
    assert page.js(f"({count})(GridMap.hazards)") == len(sample_store.hazards())


def test_the_first_view_asks_for_each_layer_once(page):
    page.requests.clear()  # signing in landed on the map already
    page.open("/map")
    # (the base's names of the districts are a request of their own: .../labels)
    asked = [urlparse(u).path for u in page.requests if "/api/" in u]
    # The view the map opens on, asked for once (an animated first zoom used to ask for
    # the view it started from, then again for the one it ended on).
    assert sorted(asked) == sorted(set(asked)), asked
    assert {"/api/incidents", "/api/layers/district"} <= set(asked)
    assert "/api/hazards" not in asked  # off in the dispatcher's view
    zoom = page.js("GridMap.map.getZoom()")
    assert all(
        f"zoom={zoom}" in u for u in page.requests if "/api/layers/" in u and "/labels" not in u
    )


def test_layers_toggle(page):
    page.open("/map")
    assert page.js("Object.keys(GridMap.layers.police._layers).length") == 0
    page.toggle("派出所辖区")
    assert page.js("GridMap.map.hasLayer(GridMap.layers.police)")
    assert page.js("Object.keys(GridMap.layers.police._layers).length") > 10
    page.toggle("街道")
    assert not page.js("GridMap.map.hasLayer(GridMap.layers.street)")
    page.shot("map-police-zones")


def _clickable_point(grid_geom) -> tuple[float, float]:
    """A point well inside the grid (its pole of inaccessibility)."""
    p = shapely.maximum_inscribed_circle(grid_geom).coords[0]
    return p[0], p[1]


def test_clicking_inside_a_grid_shows_its_code_and_officer(page, sample_frames, sample_store):
    grids = sample_frames["grid"]
    grid = grids.iloc[int(np.argmax(shapely.area(grids.geometry.values) < 1e-4))]
    lon, lat = _clickable_point(grid.geometry)
    officer = next(o for o in sample_store.officers("grid") if o.area_code == grid["code"])
    page.open("/map")
    # Hide the markers so that the click lands on the map, then centre on the grid.
    page.toggle("事件")
    page.js(f"void GridMap.map.setView([{lat}, {lon}], 15)")
    page.idle()
    x, y = page.js(
        f"(() => {{ const p = GridMap.map.latLngToContainerPoint([{lat}, {lon}]);"
        " return [p.x, p.y]; })()"
    )
    page.page.mouse.click(x, y)
    popup = page.page.locator(".gm-lookup")
    popup.wait_for(timeout=10_000)
    text = popup.inner_text()
    assert grid["code"] in text and grid["parent_code"] in text
    assert officer.name in text and officer.phone in text
    page.shot("what-is-here")
    assert page.errors == []


def test_officer_view_lists_open_incidents_oldest_first(page, sample_store):
    incidents = sample_store.incidents()
    open_ = incidents[incidents["status"].isin(list(OPEN_STATUSES))]
    code = open_["grid_code"].value_counts().index[0]
    mine = open_[open_["grid_code"] == code]
    page.open(f"/grid/{code}")
    items = page.page.locator("#gm-open-incidents li")
    assert items.count() == len(mine)
    ids = [int(items.nth(i).get_attribute("data-id")) for i in range(items.count())]
    expected = mine.sort_values("reported_at")["id"].tolist()
    assert ids == expected
    officer = next(o for o in sample_store.officers("grid") if o.area_code == code)
    assert page.page.locator("#gm-officer").inner_text() == officer.name
    # The map shows this grid's incidents only, as single markers.
    shown = page.js("GridMap.incidents.getLayers().length")
    assert shown == (incidents["grid_code"] == code).sum()
    page.shot("officer-view")
    assert page.errors == []


def test_an_incident_and_a_hazard_show_their_details(page, sample_store):
    page.open("/map")
    page.toggle("隐患")  # every hazard is drawn at city zoom
    page.js("void GridMap.hazards.getLayers()[0].openPopup()")
    hazard = page.page.locator(".leaflet-popup .gm-popup strong")
    hazard.wait_for(timeout=10_000)
    assert hazard.inner_text() in set(sample_store.hazards()["name"])
    incidents = sample_store.incidents()
    code = incidents["grid_code"].value_counts().index[0]
    page.open(f"/grid/{code}")  # single incidents
    page.js(
        "void GridMap.incidents.zoomToShowLayer(GridMap.incidents.getLayers()[0],"
        " function () { GridMap.incidents.getLayers()[0].openPopup(); })"
    )
    popup = page.page.locator(".leaflet-popup .gm-popup")
    popup.wait_for(timeout=10_000)
    assert "上报时间" in popup.inner_text()
    assert popup.locator("a.gm-case-link").get_attribute("href").startswith("/cases/")
    assert page.errors == []


def test_switching_language_changes_the_labels(page):
    page.open("/map")
    assert "网格化管理地图" in page.page.locator(".gm-title").inner_text()
    layers = page.page.locator(".leaflet-control-layers")
    assert layers.get_by_text("街道", exact=True).count() == 1
    page.page.locator("#gm-lang").click()
    page.page.wait_for_url("**/map?lang=en")
    page.idle()
    assert page.page.locator(".gm-title").inner_text() == "Grid management map"
    assert layers.get_by_text("Street", exact=True).count() == 1
    page.shot("map-english")
    page.open("/map")  # the choice is remembered
    assert page.page.locator(".gm-title").inner_text() == "Grid management map"


ATTACK = """<!doctype html><html><body>
<iframe id="framed" src="{target}/"></iframe>
<script>
  const framed = new Promise(done => document.getElementById("framed").onload = done);
  async function attack() {{
    const plan = new FormData();
    plan.append("name", "forged");
    plan.append("file", new Blob(["unit,district\\n230602008013,1\\n"]), "p.csv");
    const upload = new FormData();
    upload.append("kind", "layer");
    upload.append("layer", "forged");
    upload.append("file", new Blob(['{{"type": "FeatureCollection", "features": []}}']),
                  "x.geojson");
    await fetch("{target}/api/plans", {{mode: "no-cors", method: "POST", body: plan}});
    await fetch("{target}/data/check", {{mode: "no-cors", method: "POST", body: upload}});
    const json = '{{"name": "forged", "assignment": {{}}}}';
    await fetch("{target}/api/plans", {{mode: "no-cors", method: "POST",
      headers: {{"Content-Type": "text/plain"}}, body: json}});
    await framed;
    document.title = "sent";
  }}
  attack();
</script></body></html>"""


@pytest.fixture()
def attacker(live_server):
    """A page of another origin (another port) that posts forms to the app."""
    import http.server
    import threading

    body = ATTACK.format(target=live_server).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_page_of_another_origin_can_neither_change_anything_nor_frame_the_map(
    browser, live_server, attacker, web_db
):
    import json
    import urllib.request

    token = token_for(f"gpkg://{web_db}", "planner")

    def plans():
        asked = urllib.request.Request(
            f"{live_server}/api/plans", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(asked) as r:
            return json.load(r)

    before = plans()
    p = Page(browser, attacker)
    refused = []
    p.page.on(
        "response",
        lambda r: r.request.method == "POST" and refused.append((r.url, r.status)),
    )
    p.page.goto(attacker + "/")
    p.page.wait_for_function("document.title === 'sent'", timeout=30_000)
    assert plans() == before  # nothing created
    assert len(refused) == 3 and {status for _, status in refused} == {403}, refused
    framed = p.page.frame_locator("#framed")
    assert framed.locator("#map, .leaflet-container").count() == 0  # frame-ancestors 'none'
    p.context.close()


def test_the_sign_in_page_refuses_a_wrong_password_then_signs_in(browser, live_server, web_db):
    name = user_of(f"gpkg://{web_db}", "viewer")
    p = Page(browser, live_server)
    p.page.goto(live_server + "/grid/23060200801306")  # a staff page: to the sign-in page
    assert "/login?next=/grid/23060200801306" in p.page.url
    p.page.fill("#gm-name", name)
    p.page.fill("#gm-password", "not the password")
    p.page.click("#gm-login button[type=submit]")
    assert p.page.locator(".gm-error").inner_text() == "用户名或密码不正确"
    p.shot("sign-in")
    p.page.fill("#gm-password", PASSWORD.format(name=name))
    with p.page.expect_navigation():
        p.page.click("#gm-login button[type=submit]")
    # a viewer is signed in, but the officer's page is not for viewers: a page that says so
    assert p.page.locator("h1").inner_text() == "无权访问"
    assert p.page.locator(".gm-error").inner_text().startswith("只有管理员、")  # who may
    assert p.page.locator("#gm-user").inner_text() == name
    p.shot("not-allowed")
    p.close()
