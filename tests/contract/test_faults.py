"""Concurrency and faults, for real: many processes at once, a process killed mid-import,
a dropped database connection."""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import textwrap

import geopandas as gpd
import psycopg2
import pytest
import shapely

from gridmap.model import Layer
from gridmap.stores import open_store
from tests import postgis

# Sixteen processes writing at once (past SQLite's busy waits and PostGIS's pool), each
# report its own transaction; fifty each keep them overlapping for the whole run.
WRITERS, REPORTS = 16, 50


def _url(store) -> str:
    return store.url


def _report(url: str, worker: int, barrier) -> None:
    store = open_store(url)
    one = gpd.GeoDataFrame(
        {"category": ["E0102"], "reported_at": ["2026-03-01T08:30:00+08:00"]},
        geometry=[shapely.Point(125.1, 46.6)],
        crs="EPSG:4326",
    )
    barrier.wait()
    for k in range(REPORTS):
        one["description"] = [f"{worker}:{k}"]
        store.add_incidents(one)
    store.close()


@pytest.mark.slow
def test_many_processes_reporting_at_once_lose_nothing(store):
    url = _url(store)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WRITERS)
    procs = [ctx.Process(target=_report, args=(url, w, barrier)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    stored = store.incidents()
    assert len(stored) == WRITERS * REPORTS
    assert stored["description"].nunique() == WRITERS * REPORTS  # none lost, none twice


IMPORT_THEN_HANG = textwrap.dedent("""
    import sys, time
    import geopandas as gpd, shapely
    from gridmap.model import Layer
    from gridmap.stores import open_store

    store = open_store(sys.argv[1])
    squares = gpd.GeoDataFrame(
        {"code": [f"{i:05d}" for i in range(2000)]},
        geometry=[shapely.box(125 + i * 1e-3, 46, 125 + (i + 1) * 1e-3, 46.001)
                  for i in range(2000)], crs="EPSG:4326")
    with store.transaction():
        store.add_layer(Layer("grid", "网格", "Grid"))
        gen = store.add_generation("import", activate=True)
        store.write_areas("grid", squares, gen.id)
        print("in the middle of the import", flush=True)
        time.sleep(120)
""")


def test_a_process_killed_mid_import_leaves_nothing(store):
    url = _url(store)
    store.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", IMPORT_THEN_HANG, url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "in the middle of the import"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
    with open_store(url) as after:
        assert after.layers() == [] and after.generations() == []
        after.add_layer(Layer("grid", "网格", "Grid"))  # and the store still works
        assert [x.name for x in after.layers()] == ["grid"]


def test_a_dropped_connection_mid_import_leaves_nothing(pg_url):
    postgis.empty(pg_url)
    store = open_store(pg_url)
    admin = psycopg2.connect(postgis.ADMIN_URL)
    admin.autocommit = True
    squares = gpd.GeoDataFrame(
        {"code": ["a", "b"]},
        geometry=[shapely.box(125, 46, 125.1, 46.1), shapely.box(125.1, 46, 125.2, 46.1)],
        crs="EPSG:4326",
    )
    with pytest.raises(psycopg2.Error), store.transaction():
        store.add_layer(Layer("grid", "网格", "Grid"))
        gen = store.add_generation("g", activate=True)
        store.write_areas("grid", squares.iloc[:1], gen.id)
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", (store.driver.get_backend_pid(),))
        store.write_areas("grid", squares.iloc[1:], gen.id)
    store.close()
    admin.close()
    with open_store(pg_url) as after:
        assert after.layers() == [] and after.generations() == []
