"""Accessibility (issue 23 part 8): every page each role reaches, signed in through the
sign-in page, at a desk's 1366×768 and a phone's 360×740, checked by axe-core (vendored:
tests/vendor/VERSIONS.md) against WCAG 2.x A and AA: no serious or critical violation.

The pages are those ``tests.web.crawl`` finds by following links from each role's start
pages (one page of each route: a second case page is checked by the same rules).  The
context bypasses the Content-Security-Policy only so that axe's script can be injected;
the policy itself is tested in test_kept_in.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.accounts import PASSWORD, user_of
from tests.web.crawl import ROLES, _route, crawl, first_grid

# Installed by scripts/test-deps.sh (make test) from the npm registry.
AXE = Path(__file__).resolve().parents[1] / "vendor" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {
    "desk": {"viewport": {"width": 1366, "height": 768}},
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
}
SERIOUS = ("serious", "critical")
MAX_PAGES = 40  # a role's crawl; each route is checked once


def account(url: str, role: str) -> dict:
    """The user the crawl signs in as for ``role`` (the same account in the browser)."""
    if role == "officer":
        return {"areas": (first_grid(url),)}
    if role == "department":
        return {"department": "city"}
    return {}


def pages_of(app, url: str, role: str) -> list[str]:
    """One page of each route ``role`` reaches (those that answered 200)."""
    adapter = app.url_map.bind("localhost")
    out, routes = [], set()
    for page in crawl(app, url, role, max_pages=MAX_PAGES):
        route = _route(adapter, page.url)
        if page.status == 200 and route not in routes:
            routes.add(route)
            out.append(page.url)
    return out


def violations(page) -> list[dict]:
    """axe's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations'], runOnly:
                {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in found if v["impact"] in SERIOUS]


@pytest.mark.parametrize("role", ROLES)
def test_no_serious_violation_on_any_page_a_role_reaches(browser, app, live_server, web_db, role):
    url = f"gpkg://{web_db}"
    paths = pages_of(app, url, role)
    assert paths, role
    found: dict[str, list] = {}
    for size, options in SIZES.items():
        context = browser.new_context(locale="zh-CN", bypass_csp=True, **options)
        page = context.new_page()
        try:
            if role != "anonymous":
                name = user_of(url, role, **account(url, role))
                page.goto(live_server + "/login")
                page.fill("#gm-name", name)
                page.fill("#gm-password", PASSWORD.format(name=name))
                with page.expect_navigation():
                    page.click("#gm-login button[type=submit]")
            for path in paths:
                page.goto(live_server + path)
                page.wait_for_load_state("networkidle")
                if bad := violations(page):
                    found[f"{size} {path}"] = bad
        finally:
            context.close()
    assert not found, "\n".join(
        f"{where}: " + "; ".join(f"{v['id']} ({v['impact']}) {v['nodes']}" for v in bad)
        for where, bad in found.items()
    )
