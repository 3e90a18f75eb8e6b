"""The planner's workspace in a real browser at 1366×768: an automatic plan started from
the plans page with its progress bar and stopped, then painted: a grid moved keeps the plan
within every rule, a neighborhood moved far away breaks contiguity, undo and redo, a lock,
a brush; compared with a plan of today's streets; published by an admin, active.
Screenshots go to test-output/screenshots/plan-*.png."""

from __future__ import annotations

import time

import pytest
import shapely

from boundaries import planfile
from boundaries.editor import Painting, live
from boundaries.workspace import Spec
from gridmap.stores import open_store
from tests.conftest import copy_city
from tests.web.conftest import serving
from tests.web.test_browser import Page, _signed_in
from web import create_app

SCREEN = {"viewport": {"width": 1366, "height": 768}}
BOUNDS = {"k": 70, "min": 20000, "max": 40000}


@pytest.fixture(scope="module")
def plan_db(sample_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("planner") / "city.gpkg"
    copy_city(sample_path, path)
    return path


@pytest.fixture(scope="module")
def plan_server(plan_db):
    with serving(create_app({"DATABASE_URL": f"gpkg://{plan_db}", "TESTING": True})) as base:
        yield base


def _poll(p: Page, expression: str, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = p.js(expression)
        if value:
            return value
        p.page.wait_for_timeout(200)
    raise AssertionError(f"still false after {seconds} s: {expression}")


def _painting(db, plan_id: int) -> tuple[Painting, dict]:
    """The stored plan, painted here in the test as the server would."""
    with open_store(f"gpkg://{db}") as store:
        saved = store.load_plan(plan_id)
        spec = Spec.from_dict(store, saved["spec"])
        units = spec.units(store)
        grids = store.areas("grid")
    plan = planfile.from_assignment(units, saved["assignment"])
    return Painting(units, plan), {c: g for c, g in zip(grids["code"], grids.geometry, strict=True)}


def _passes(painting: Painting) -> bool:
    return all(r["passes"] for r in live(painting, BOUNDS)["rules"])


def _a_valid_repaint(painting: Painting) -> tuple[str, str]:
    """A grid on an area's edge whose move into the next area keeps every rule."""
    fine = painting.fine
    for i, code in enumerate(painting.codes):
        mine = painting.labels[i]
        for j in fine.neighbours[i]:
            other = painting.labels[j]
            if other == mine or fine.parent[i] != fine.parent[j]:
                continue
            into = str(painting.plan.names[other])
            back = str(painting.plan.names[mine])
            painting.move({code: into})
            ok = _passes(painting)
            painting.move({code: back})
            if ok:
                return code, into
    raise AssertionError("no grid can move without breaking a rule")


def _a_breaking_repaint(painting: Painting, into: str) -> str:
    """A neighborhood far from ``into`` whose move into it splits it in pieces."""
    for group, members in painting.members.items():
        before = str(painting.plan.names[painting.labels[members[0]]])
        if before == into:
            continue
        painting.move({group: into})
        broken = not live(painting, BOUNDS)["rules"][0]["passes"]
        painting.move({group: before})
        if broken:
            return group
    raise AssertionError("every neighborhood borders the area")


def _click(p: Page, geometry) -> None:
    """Click inside ``geometry`` on the painting map, zoomed in on it."""
    p.page.mouse.click(*_point(p, geometry))


def _point(p: Page, geometry, move: bool = True) -> tuple[float, float]:
    """Where ``geometry`` is on the screen (centred on it first when ``move``)."""
    point = shapely.point_on_surface(geometry)
    if move:
        p.js(
            f"() => void gridmapPlanner.map.setView([{point.y}, {point.x}], 16, {{animate: false}})"
        )
        p.page.wait_for_timeout(300)
    x, y = p.js(
        f"""() => {{
            const pt = gridmapPlanner.map.latLngToContainerPoint([{point.y}, {point.x}]);
            const box = document.getElementById('gm-paint-map').getBoundingClientRect();
            return [box.left + pt.x, box.top + pt.y];
        }}"""
    )
    return x, y


def _population(p: Page, area: str) -> int:
    return int(p.page.get_attribute(f"#gm-area-{area} .gm-pop", "data-population"))


def _rules(p: Page) -> dict[str, bool]:
    return p.js(
        """() => Object.fromEntries([...document.querySelectorAll('#gm-rules li')]
            .map(li => [li.dataset.rule, li.dataset.passes === 'true']))"""
    )


def _moves(p: Page) -> int:
    return p.js("() => gridmapPlanner.state.busy ? -1 : gridmapPlanner.state.moves")


def _wait_moves(p: Page, n: int) -> None:
    _poll(p, f"() => !gridmapPlanner.state.busy && gridmapPlanner.state.moves >= {n}")


def test_auto_plan_then_paint_in_the_browser(browser, plan_server, plan_db):
    p = _signed_in(browser, plan_server, plan_db, "planner", **SCREEN)
    try:
        p.page.goto(plan_server + "/plans")
        form = p.page.locator("#gm-new-auto")
        form.locator("input[name=k]").fill(str(BOUNDS["k"]))
        form.locator("input[name=min]").fill(str(BOUNDS["min"]))
        form.locator("input[name=max]").fill(str(BOUNDS["max"]))
        form.locator("input[name=seconds]").fill("60")
        p.page.click("#gm-auto-start")
        # The bar follows the job; once the job has a plan within every rule, Stop keeps it.
        _poll(p, "() => document.getElementById('gm-auto-bar').value > 0")
        _poll(p, "() => document.getElementById('gm-auto-valid').textContent !== ''")
        assert p.page.get_attribute("#gm-auto-state", "data-state") == "running"
        p.shot("plan-auto-running")
        p.page.click("#gm-auto-stop")
        _poll(p, "() => document.getElementById('gm-auto-state').dataset.state === 'stopped'")
        assert float(p.js("() => document.getElementById('gm-auto-bar').value")) == 100
        p.shot("plan-auto-stopped")
        href = p.page.get_attribute("#gm-auto-open", "href")
        plan_id = int(href.rsplit("/", 1)[1])

        p.page.goto(plan_server + href)
        _poll(p, "() => window.gridmapPlanner && gridmapPlanner.ready")
        assert all(_rules(p).values()), _rules(p)  # the automatic plan is valid
        p.shot("plan-paint-start")

        painting, grids = _painting(plan_db, plan_id)
        code, into = _a_valid_repaint(painting)
        came_from = str(painting.plan.names[painting.labels[painting.index[code]]])
        residents = int(painting.fine.population[painting.index[code]])
        before_into, before_from = _population(p, into), _population(p, came_from)

        # One grid into the next area: both areas' residents change, every rule still holds.
        p.page.select_option("#gm-target", into)
        p.page.check("input[name=gm-mode][value=unit]")
        _click(p, grids[code])
        _wait_moves(p, 1)
        assert _population(p, into) == before_into + residents
        assert _population(p, came_from) == before_from - residents
        assert all(_rules(p).values()), _rules(p)
        p.shot("plan-paint-grid")

        # A whole neighborhood far away: the area falls in pieces, the rule says so.
        painting.move({code: into})
        far = _a_breaking_repaint(painting, into)
        p.page.check("input[name=gm-mode][value=group]")
        p.js("() => void gridmapPlanner.map.setZoom(13, {animate: false})")
        members = painting.members[far]
        _click(p, shapely.union_all([grids[painting.codes[m]] for m in members]))
        _wait_moves(p, 2)
        assert _rules(p)["contiguous"] is False
        p.shot("plan-paint-broken")

        # Undo puts it back; redo again; undo again.
        p.page.click("#gm-undo")
        _wait_moves(p, 3)
        assert all(_rules(p).values())
        assert _population(p, into) == before_into + residents
        p.page.click("#gm-redo")
        _wait_moves(p, 4)
        assert _rules(p)["contiguous"] is False
        p.page.click("#gm-undo")
        _wait_moves(p, 5)
        assert all(_rules(p).values())

        # A locked area is not painted over.
        p.page.check(f"#gm-area-{came_from} .gm-lock")
        p.page.check("input[name=gm-mode][value=unit]")
        p.page.select_option("#gm-target", came_from)
        _click(p, grids[code])
        p.page.wait_for_timeout(500)
        assert _moves(p) == 5
        assert came_from in p.page.inner_text("#gm-paint-error")
        p.page.uncheck(f"#gm-area-{came_from} .gm-lock")

        # Brushing: press on one grid, sweep to its neighbour, release: one move paints both.
        brush_from = next(
            c
            for c in painting.codes
            if painting.labels[painting.index[c]] != painting.district(into, [])
        )
        i = painting.index[brush_from]
        brush_to = painting.codes[int(painting.fine.neighbours[i][0])]
        p.page.check("#gm-brush")
        p.page.select_option("#gm-target", into)
        start = _point(p, grids[brush_from])
        end = _point(p, grids[brush_to], move=False)
        p.page.mouse.move(*start)
        p.page.mouse.down()
        p.page.mouse.move(*end, steps=12)
        p.page.mouse.up()
        _wait_moves(p, 6)
        changed = p.js(
            "() => gridmapPlanner.state.undo[gridmapPlanner.state.undo.length - 1].after"
        )
        assert brush_from in changed and all(d == into for d in changed.values()), changed
        p.page.click("#gm-undo")
        _wait_moves(p, 7)
        p.page.uncheck("#gm-brush")

        # What the page shows is what is stored: a valid 70-area plan, the grid moved.
        shown = p.js(
            f"async () => (await fetch('/api/plans/{plan_id}?k=70&min=20000&max=40000')).json()"
        )
        assert shown["districts"] == 70
        assert all(r["passes"] for r in shown["rules"]), shown["rules"]
        assert shown["assignment"][code] == into
        p.page.reload()
        _poll(p, "() => window.gridmapPlanner && gridmapPlanner.ready")
        assert _population(p, into) == before_into + residents
        p.js("() => void gridmapPlanner.map.setZoom(11, {animate: false})")
        p.page.wait_for_timeout(300)
        p.shot("plan-paint-saved")
        assert not p.errors, p.errors

        p.page.goto(plan_server + "/plans?lang=en")
        assert "Max deviation" in p.page.inner_text("#gm-plans")
        row = p.page.locator(f"#gm-plans tr[data-plan='{plan_id}']")
        assert "70" in row.inner_text()
        p.shot("plan-list")

        # Another plan from today's streets, made on the page, then the two compared.
        with p.page.expect_navigation():
            p.page.click("#gm-new-today button[type=submit]")
        today_id = int(p.page.url.rsplit("/", 1)[1])
        p.page.goto(f"{plan_server}/plans/{plan_id}/compare?with={today_id}")
        _poll(p, "() => document.querySelector('#gm-residents-moved') !== null")
        shown = int(p.page.get_attribute("#gm-residents-moved", "data-value"))
        api = p.js(
            f"async () => (await (await fetch('/api/plans/{plan_id}/compare?with={today_id}'))"
            ".json()).residents_moved"
        )
        assert shown == api > 0
        assert not p.errors, p.errors
    finally:
        p.close()

    # An admin publishes the painted plan, active now; the map then has its communities.
    admin = _signed_in(browser, plan_server, plan_db, "admin", **SCREEN)
    try:
        admin.page.goto(f"{plan_server}/plans/{plan_id}/publish")
        assert admin.page.get_attribute("#gm-new-areas", "data-value") == "70"
        admin.page.fill("#gm-gen-name", "2012")
        admin.page.check("#gm-activate")
        with admin.page.expect_navigation():
            admin.page.click("#gm-publish")
        assert admin.page.get_attribute("#gm-generation-state", "data-active") == "yes"
        answer = admin.js("async () => (await fetch('/api/lookup?lon=125.10&lat=46.59')).json()")
        assert "community" in answer["areas"], answer
        admin.open("/map?lang=en")
        assert "Community" in admin.page.inner_text(".leaflet-control-layers")
        assert not admin.errors, admin.errors
    finally:
        admin.close()


SHOWN_COLOURS = """() => { const s = gridmapPlanner.state; const out = {};
  for (const c of Object.keys(s.features)) {
    (out[s.features[c].properties.district] ||= new Set()).add(s.layers[c].options.fillColor);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]])); }"""


@pytest.fixture()
def fresh_server(sample_path, tmp_path):
    """A city of its own: the test above publishes into the module's city."""
    copy_city(sample_path, tmp_path / "city.gpkg")
    db = tmp_path / "city.gpkg"
    with serving(create_app({"DATABASE_URL": f"gpkg://{db}", "TESTING": True})) as base:
        yield base, db


def test_the_page_draws_the_servers_colours(browser, fresh_server):
    """Every grid is filled with its area's colour as the server chose it, also after a
    move opens a new area (which may recolour others)."""
    plan_server, plan_db = fresh_server
    p = _signed_in(browser, plan_server, plan_db, "planner", **SCREEN)
    try:
        p.page.goto(plan_server + "/plans")  # a page with the API's script
        made = p.js(
            "async () => await gridmapApi('POST', '/api/plans',"
            " {name: 'colours', from_layer: 'street'})"
        )
        p.page.goto(f"{plan_server}/plans/{made['id']}")
        _poll(p, "() => window.gridmapPlanner && gridmapPlanner.ready")
        for moves in (0, 1):
            served = p.js(
                f"async () => (await (await fetch('/api/plans/{made['id']}/units')).json())"
                ".metrics.colours"
            )
            shown = p.js(SHOWN_COLOURS)
            assert shown == {area: [served[area]] for area in shown}
            swatch = p.page.locator(f"[id='gm-area-{next(iter(shown))}'] .gm-swatch")
            assert swatch.evaluate("e => e.style.background") != ""
            if moves == 0:
                code = p.js("() => Object.keys(gridmapPlanner.state.features)[0]")
                p.page.fill("#gm-new-area", "N1")
                p.js(f"() => void gridmapPlanner.state.layers['{code}'].fire('click')")
                _wait_moves(p, 1)
                assert "N1" in p.js(SHOWN_COLOURS)
        assert not p.errors, p.errors
    finally:
        p.close()
