"""Page weight and time to first draw of the officer's map, with 100,000 extra incidents.

Measured in Debian's headless Chromium (Playwright), next to two folium maps a user would
write, in the same run: every incident as a marker in a MarkerCluster (naive), and the
strongest, folium's own FastMarkerCluster (the coordinates inlined as one array, markers
made in the browser).  Every page loads Leaflet from this machine, so only the design
differs; gridmap's first draw also holds the boundaries and hazards the folium maps leave
out.  Each map is timed the same way (two frames after its data is drawn), with the
browser's cache off, in turns, and the median of ``--repeat`` loads shown.

    .venv/bin/python benchmarks/map_bench.py [--extra 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import folium
import numpy as np
import shapely
from folium.plugins import FastMarkerCluster, MarkerCluster
from waitress.server import create_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl import sample_city  # noqa: E402
from gridmap.lookup import LookupIndex  # noqa: E402
from gridmap.stores.gpkg import GeoPackageStore  # noqa: E402
from tests.web.conftest import CHROMIUM_ARGS  # noqa: E402
from web import create_app  # noqa: E402

AS_OF = date(2026, 11, 1)


def build_city(path: Path, extra: int) -> None:
    store = GeoPackageStore(path)
    sample_city.build(store, as_of=AS_OF, progress=lambda m: None)
    grids = store.areas("grid")
    rng = np.random.default_rng(99)
    more = sample_city.build_incidents(rng, grids, extra, AS_OF)
    index = LookupIndex.from_store(store)
    more = sample_city._attach_areas(more, index, store.generation().id)
    store.add_incidents(more)
    store.close()


def _local_assets(m: folium.Map, cluster, static: str) -> None:
    m.default_js = [("leaflet", f"{static}/vendor/leaflet/leaflet.js")]
    m.default_css = [("leaflet_css", f"{static}/vendor/leaflet/leaflet.css")]
    cluster.default_js = [
        ("markercluster", f"{static}/vendor/leaflet.markercluster/leaflet.markercluster.js")
    ]
    cluster.default_css = [
        ("markercluster_css", f"{static}/vendor/leaflet.markercluster/MarkerCluster.css"),
        (
            "markercluster_default_css",
            f"{static}/vendor/leaflet.markercluster/MarkerCluster.Default.css",
        ),
    ]


def naive_map(path: Path, out: Path, static: str, fast: bool = False) -> int:
    """The map a user would write: all incidents as markers, inlined; with ``fast``,
    folium's FastMarkerCluster (coordinates only, markers made by a JS callback)."""
    store = GeoPackageStore(path)
    incidents = store.incidents()
    store.close()
    m = folium.Map(location=[46.45, 124.75], zoom_start=9, tiles=None)
    if fast:
        xy = shapely.get_coordinates(incidents.geometry.values)
        cluster = FastMarkerCluster(xy[:, ::-1].round(6).tolist())
        _local_assets(m, cluster, static)
        cluster.add_to(m)
        m.save(str(out))
        return len(incidents)
    cluster = MarkerCluster()
    _local_assets(m, cluster, static)
    cluster.add_to(m)
    for g, cat, status, when in zip(
        incidents.geometry,
        incidents["category"],
        incidents["status"],
        incidents["reported_at"],
        strict=True,
    ):
        folium.Marker([g.y, g.x], popup=f"{cat} {status} {when}").add_to(cluster)
    m.save(str(out))
    return len(incidents)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def measure(browser, url: str, drawn_js: str) -> tuple[float, int]:
    """Seconds from navigation to the first complete draw, and bytes received by then."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    received = {"bytes": 0}
    cdp.on(
        "Network.loadingFinished",
        lambda e: received.__setitem__("bytes", received["bytes"] + e["encodedDataLength"]),
    )
    page.goto(url, wait_until="commit", timeout=600_000)
    drawn_ms = page.evaluate(drawn_js)
    time.sleep(0.2)
    total = received["bytes"]
    context.close()
    return drawn_ms / 1000.0, total


# The same clock for every map: performance.now() two frames after the page's data is all
# drawn (the first frame paints it), so the figure is when the draw is on screen.  gridmap
# says so by setting window.gridmapReady (and body[data-ready]) once its first requests are
# answered and drawn; it is watched with a MutationObserver, not polled, so no polling
# interval is added to gridmap's figure.  (Before, gridmap's figure was the moment its last
# answer arrived, before drawing it: a little in its favour.)
FRAMES = (
    "() => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())))"
)

GRIDMAP_DRAWN = f"""new Promise(resolve => {{
  const done = {FRAMES};
  if (window.gridmapReady) {{ done(); return; }}
  const seen = new MutationObserver(() => {{
    if (window.gridmapReady) {{ seen.disconnect(); done(); }}
  }});
  seen.observe(document, {{attributes: true, subtree: true, attributeFilter: ['data-ready']}});
}})"""

# A folium map is drawn by the page's own scripts, before the load event.
NAIVE_DRAWN = f"""new Promise(resolve => {{
  const done = {FRAMES};
  if (document.readyState === 'complete') done(); else window.addEventListener('load', done);
}})"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--extra", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="loads of each page (median shown)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        db = tmp / "city.gpkg"
        t = time.perf_counter()
        build_city(db, args.extra)
        print(
            f"sample city + {args.extra:,} extra incidents built in {time.perf_counter() - t:.0f} s"
        )
        app = create_app({"DATABASE_URL": f"gpkg://{db}"})
        server = create_server(app, host="127.0.0.1", port=0, threads=8)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{server.effective_port}"

        t = time.perf_counter()
        count = naive_map(db, tmp / "naive.html", f"{base}/static")
        print(
            f"naive folium map of {count:,} markers written in {time.perf_counter() - t:.0f} s"
            f" ({(tmp / 'naive.html').stat().st_size / 1e6:.1f} MB)"
        )
        t = time.perf_counter()
        naive_map(db, tmp / "fast.html", f"{base}/static", fast=True)
        print(
            f"folium FastMarkerCluster map written in {time.perf_counter() - t:.1f} s"
            f" ({(tmp / 'fast.html').stat().st_size / 1e6:.1f} MB)"
        )
        handler = functools.partial(_QuietHandler, directory=str(tmp))
        files = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=files.serve_forever, daemon=True).start()
        naive_url = f"http://127.0.0.1:{files.server_address[1]}/naive.html"
        fast_url = f"http://127.0.0.1:{files.server_address[1]}/fast.html"

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
            )
            measure(browser, base + "/", GRIDMAP_DRAWN)  # warm the server's caches once
            pages = {
                "ours": (base + "/", GRIDMAP_DRAWN),
                "naive": (naive_url, NAIVE_DRAWN),
                "fast": (fast_url, NAIVE_DRAWN),
            }
            # Taken in turns, so that a busy moment of the (shared) machine falls on every
            # map alike; the median of each is shown.
            runs = {name: [] for name in pages}
            for _ in range(args.repeat):
                for name, (url, drawn) in pages.items():
                    runs[name].append(measure(browser, url, drawn))
            (ours_s, ours_b), (naive_s, naive_b), (fast_s, fast_b) = (
                (statistics.median(s for s, _ in runs[n]), statistics.median(b for _, b in runs[n]))
                for n in pages
            )
            browser.close()
        files.shutdown()
        server.close()
        print(
            f"officer's map with {count:,} incidents, headless Chromium, first complete draw"
            f" (median of {args.repeat}):"
        )
        for name, label in (("ours", "gridmap"), ("naive", "naive"), ("fast", "fast")):
            print(f"  {label:8} each load: " + "  ".join(f"{s:.2f} s" for s, _ in runs[name]))
        print(
            f"  gridmap (data by bbox, clustered on the server)  {ours_s:7.2f} s  "
            f"{ours_b / 1e6:7.2f} MB transferred"
        )
        print(
            f"  naive folium map (all markers inlined)           {naive_s:7.2f} s  "
            f"{naive_b / 1e6:7.2f} MB transferred"
        )
        print(
            f"  folium FastMarkerCluster (coordinates inlined)   {fast_s:7.2f} s  "
            f"{fast_b / 1e6:7.2f} MB transferred"
        )
        print(
            f"  gridmap draws {naive_s / ours_s:.1f}x sooner than the naive map and transfers "
            f"{naive_b / max(ours_b, 1):.0f}x less; against FastMarkerCluster (the strongest "
            f"baseline): {fast_s / ours_s:.2f}x sooner, {fast_b / max(ours_b, 1):.1f}x less"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
