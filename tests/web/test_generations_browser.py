"""Staged generations in a real headless Chromium: an admin previews a staged generation
on the map (its communities in the lookup), activates it with its effective date, then
discards a second one; each step audited, and ``/ogc/collections`` strict JSON with
unique titles at every step (for the admin and for an anonymous client).  Screenshots go
to test-output/screenshots/generations*.png."""

from __future__ import annotations

import urllib.request
from datetime import date

import pytest
import shapely

from gridmap.stores import open_store
from tests.conftest import copy_city
from tests.staging import stage
from tests.web.conftest import serving
from tests.web.test_browser import _signed_in
from tests.web.test_generations import strict
from web import create_app


@pytest.fixture()
def staged_city(sample_path, tmp_path):
    """A copy of the sample city served, with generation 2012 staged (today's
    neighborhoods published again as communities: a second's work)."""
    path = copy_city(sample_path, tmp_path / "city.gpkg")
    url = f"gpkg://{path}"
    staged = stage(url, "2012")
    with serving(create_app({"DATABASE_URL": url, "TESTING": True})) as base:
        yield base, path, url, staged


def ogc_collections(base: str, page=None) -> dict[str, str]:
    """Id -> title of ``/ogc/collections``, read strictly (NaN is no JSON), as the signed-in
    ``page`` sees them or anonymously; every title unique."""
    at = f"{base}/ogc/collections?f=json"
    if page is not None:
        text = page.page.request.get(at).text()
    else:
        with urllib.request.urlopen(at, timeout=30) as r:  # noqa: S310 (our own server)
            text = r.read().decode()
    found = {c["id"]: c["title"] for c in strict(text)["collections"]}
    assert len(set(found.values())) == len(found), found
    return found


def test_preview_activate_then_discard_a_staged_generation(browser, staged_city):
    base, path, url, staged = staged_city
    p = _signed_in(browser, base, path, "admin")
    try:
        anonymous = ogc_collections(base)
        assert not any(k.endswith(f"-g{staged.id}") for k in anonymous)
        assert "community" not in anonymous  # empty in the active generation: not listed
        assert f"community-g{staged.id}" in ogc_collections(base, p)

        # The admin finds the staged generation from the navigation and previews it.
        p.page.goto(base + "/plans")
        p.page.click("#gm-nav-generations")
        row = p.page.locator(f'#gm-staged tr[data-generation="{staged.id}"]')
        assert row.count() == 1 and "2012" in row.inner_text()
        p.shot("generations")
        row.locator("a.gm-preview-map").click()
        p.page.wait_for_url(f"**/map?generation={staged.id}")
        p.idle()
        assert p.js("GridMap.map.hasLayer(GridMap.layers.community)")
        assert p.page.locator("#gm-preview").get_attribute("data-generation") == str(staged.id)
        with open_store(url) as store:
            community = store.areas("community", staged.id).iloc[0]
        lon, lat = shapely.maximum_inscribed_circle(community.geometry).coords[0]
        p.toggle("事件")  # markers off: the click lands on the map
        p.toggle("隐患")
        p.js(f"void GridMap.map.setView([{lat}, {lon}], 13)")
        p.idle()
        drawn = "(l) => Object.keys(l._layers).length"
        assert p.js(f"({drawn})(GridMap.layers.community)") > 0
        assert p.js(f"({drawn})(GridMap.layers.grid)") > 0
        assert p.js("!!GridMap.layers.neighborhood") is False  # not in 2012
        p.shot("generations-preview-map")
        x, y = p.js(
            f"(() => {{ const q = GridMap.map.latLngToContainerPoint([{lat}, {lon}]);"
            " return [q.x, q.y]; })()"
        )
        with p.page.expect_response(lambda r: "/api/lookup" in r.url) as answered:
            p.page.mouse.click(x, y)
        assert f"generation={staged.id}" in answered.value.url
        assert answered.value.json()["areas"]["community"]["code"] == community["code"]
        popup = p.page.locator(".gm-lookup")
        popup.wait_for(timeout=10_000)
        assert community["code"] in popup.inner_text()
        p.shot("generations-preview")

        # Activated with its effective date.
        p.page.goto(base + "/admin/generations/")
        row = p.page.locator(f'#gm-staged tr[data-generation="{staged.id}"]')
        row.locator("input[name=effective]").fill("2012-09-20")
        with p.page.expect_navigation():
            row.locator("form.gm-activate button").click()
        done = p.page.locator("#gm-generations-done")
        assert done.get_attribute("data-done") == "activated" and "2012" in done.inner_text()
        assert p.page.locator("#gm-no-staged").count() == 1
        with open_store(url) as store:
            active = store.generation()
            row_ = store.audit_log(action="activate")[0]
        assert (active.name, active.effective_from) == ("2012", date(2012, 9, 20))
        assert (row_["target"], row_["after"]["effective"]) == ("2012", "2012-09-20")
        for seen in (ogc_collections(base), ogc_collections(base, p)):
            assert "community" in seen and "neighborhood" not in seen
            assert not any("-g" in k for k in seen)

        # A second staged generation, discarded.
        later = stage(url, "2013")
        assert f"community-g{later.id}" in ogc_collections(base, p)
        p.page.reload()
        row = p.page.locator(f'#gm-staged tr[data-generation="{later.id}"]')
        row.locator("input[name=confirm]").check()
        with p.page.expect_navigation():
            row.locator("form.gm-discard button").click()
        done = p.page.locator("#gm-generations-done")
        assert done.get_attribute("data-done") == "discarded" and "2013" in done.inner_text()
        p.shot("generations-discarded")
        with open_store(url) as store:
            assert [g.name for g in store.generations()] == ["2011", "2012"]
            gone = store.audit_log(action="discard")[0]
        assert gone["target"] == "2013" and gone["actor"].startswith("web:")
        assert not any("-g" in k for k in ogc_collections(base, p))
        assert ogc_collections(base) == ogc_collections(base, p)  # nothing staged left
        assert p.errors == []
    finally:
        p.close()
