"""Stores made by gridmap 0.1 upgrade in place when opened, and every row survives.

The fixtures were made by the 0.1 code (``tests/fixtures/make_0.1.py``): a GeoPackage file
and a ``pg_dump --inserts`` of a PostGIS database, with layers, two generations (areas
ended and carried over), a zone with a hole, officers, incidents, hazards and a plan.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import geopandas as gpd
import psycopg2
import pytest
import shapely
import sqlalchemy as sa
from click.testing import CliRunner

from gridmap.catalogue import NATURAL, OPEN_STATUSES, STATUSES
from gridmap.cli import main
from gridmap.model import Layer
from gridmap.stores import migrations
from gridmap.stores.gpkg import GeoPackageStore
from gridmap.stores.postgis import PostGISStore
from tests import gdal, postgis
from tests.lookups import lookup_point

FIXTURES = Path(__file__).parent.parent / "fixtures"
HOLED = shapely.Polygon(
    shapely.box(125.0, 46.0, 125.1, 46.1).exterior.coords,
    [shapely.box(125.04, 46.04, 125.06, 46.06).exterior.coords],
)


def _restore(url: str) -> None:
    """Load the pg_dump as psql would (its backslash lines are psql's own commands)."""
    sql = (FIXTURES / "gridmap-0.1-postgis.sql").read_text(encoding="utf-8")
    script = "\n".join(line for line in sql.splitlines() if not line.startswith("\\"))
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(script)
    conn.close()


@pytest.fixture(params=["gpkg", "postgis"])
def old_store(request, tmp_path):
    if request.param == "gpkg":
        path = tmp_path / "old.gpkg"
        shutil.copy(FIXTURES / "gridmap-0.1.gpkg", path)
        yield f"gpkg://{path}"
    else:
        url = postgis.create_database("gridmap_old")
        _restore(url)
        yield url
        postgis.drop_database(url)


def test_a_store_made_by_0_1_upgrades_when_opened_and_keeps_every_row(old_store):
    result = CliRunner().invoke(main, ["--db", old_store, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "converted a gridmap 0.1 store" in result.output
    store = (GeoPackageStore if old_store.startswith("gpkg") else PostGISStore).from_url(old_store)
    try:
        assert store.migrated == [] and migrations.current(store) == migrations.head()
        assert [(x.name, x.parent, x.kind) for x in store.layers()] == [
            ("district", None, "admin"),
            ("grid", "district", "admin"),
            ("police", None, "zone"),
        ]
        gens = store.generations()
        assert [(g.id, g.name, g.description, g.active) for g in gens] == [
            (1, "2011", "before the reform", True),
            (2, "2012", "after the reform", False),
        ]
        districts = store.areas("district", 1)
        assert list(districts["code"]) == ["230602", "230603"]
        assert list(districts["population"]) == [1000, 2000]
        assert list(districts["households"]) == [400, 800]
        assert list(districts["name"]) == ["名称 230602", "名称 230603"]
        assert list(store.areas("grid", 1)["code"]) == [
            "23060200101",
            "23060200102",
            "23060300101",
        ]
        later = store.areas("grid", 2)
        assert list(later["code"]) == ["23060200199"] and list(later["gen_from"]) == [2]
        assert list(store.areas("grid", 1)["gen_to"]) == [1, 1, 1]
        zone = store.areas("police", 1).geometry.iloc[0]
        assert shapely.equals_exact(zone, shapely.MultiPolygon([HOLED]), tolerance=0)
        assert [(o.name, o.layer, o.area_code, o.phone) for o in store.officers()] == [
            ("王芳", "grid", "23060200101", "13900000001"),
            ("李强", "police", "P1", "0459-110"),
        ]
        incidents = store.incidents(oldest_first=True)
        assert list(incidents["id"]) == [1, 2, 3]
        assert list(incidents["category"]) == ["E0102", "E0401", "C0101"]
        assert list(incidents["description"]) == ["垃圾", "", "manhole"]
        assert incidents["areas"].iloc[0] == {
            "district": "230602",
            "grid": "23060200101",
            "police": "P1",
        }
        assert list(incidents["grid_code"]) == ["23060200101", "23060200102", "23060300101"]
        assert incidents.geometry.iloc[2].equals(shapely.Point(125.15, 46.08))
        hazards = store.hazards()
        assert list(hazards["risk_level"]) == [2, 4]
        assert list(hazards.geom_type) == ["Point", "Polygon"]
        assert hazards["next_inspection"].iloc[0] == "2026-04-01"
        assert hazards["next_inspection"].isna().iloc[1]
        assert len(store.hazards(bbox=(125.105, 46.005, 125.115, 46.015))) == 1
        (plan,) = store.plans()
        assert plan["name"] == "draft" and plan["spec"] == {"k": 2, "units": "grid"}
        assert store.load_plan(plan["id"])["assignment"] == {"23060200101": "1", "23060200102": "2"}
        answer = lookup_point(store, 125.02, 46.05)
        assert answer["areas"]["grid"]["code"] == "23060200101"
        assert answer["officer"]["name"] == "王芳"
        # and the store goes on: new rows get new keys
        one = gpd.GeoDataFrame(
            {"category": ["E0102"], "reported_at": ["2026-03-04T08:30:00+08:00"]},
            geometry=[shapely.Point(125.01, 46.01)],
            crs="EPSG:4326",
        )
        assert store.add_incidents(one) == [4]
        assert store.save_plan("second", {}, {}) == 2
    finally:
        store.close()
    if old_store.startswith("gpkg"):
        path = old_store.removeprefix("gpkg://")
        gdal.validate_gpkg(path)
        assert gdal.has_spatial_index(path, "area_grid")
        assert gdal.has_spatial_index(path, "incidents")


def test_a_store_at_revision_0003_gains_the_case_loop(tmp_path):
    """A store made before the case loop (tests/fixtures/make_rev0003.py) upgrades in
    place: its incidents keep every value, gain the case columns and indexes, GDAL still
    validates it, and routing rules added afterwards route its open cases."""
    from etl.sample_cases import departments, responsibilities
    from gridmap.services import cases

    path = tmp_path / "rev0003.gpkg"
    shutil.copy(FIXTURES / "gridmap-rev0003.gpkg", path)
    raw = sqlite3.connect(path)
    before = raw.execute(
        "SELECT id, category, status, grid_code FROM incidents ORDER BY id"
    ).fetchall()
    raw.close()
    result = CliRunner().invoke(main, ["--db", f"gpkg://{path}", "db", "upgrade"])
    assert (
        result.exit_code == 0
        and f"upgraded from revision 0003 to {migrations.head()}" in result.output
    )
    with GeoPackageStore(path) as store:
        rows = store.cases(statuses=list(STATUSES), limit=1000)
        assert sorted((r["id"], r["category"], r["status"], r["grid_code"]) for r in rows) == before
        assert all(r["department"] is None and r["due_utc"] is None for r in rows)
        assert all(r["clock_kind"] is None and r["warn_utc"] is None for r in rows)
        assert store.clock_rules() == []
        counted = Counter((r["status"], -1) for r in rows)  # counted once, on upgrade
        assert store.incident_counts() == dict(counted)
        indexes = {
            i["name"]: i["column_names"] for i in sa.inspect(store._conn).get_indexes("incidents")
        }
        assert indexes["ix_incidents_grid"] == ["grid_code", "status"]
        assert indexes["ix_incidents_due"] == ["due_utc", "department", "grid_code"]
        assert indexes["ix_incidents_warn"] == ["warn_utc", "due_utc", "department", "grid_code"]
        old_layers = (None, "police", "traffic", "fire")  # the zones that store has
        for d in departments():
            if d.layer in old_layers:
                store.save_department(d)
        for rule in responsibilities():
            if rule.department in store.departments() and rule.layer in old_layers:
                store.add_rule(rule)
        open_cases = [r for r in rows if r["status"] in OPEN_STATUSES]
        assert cases.route_unrouted(store) == len(open_cases) > 0
        assert all(store.case(r["id"])["department"] for r in open_cases)
        # Revision 0008 widened the kinds of layer in the table's own CHECK: a reference
        # layer is taken, an unknown kind still refused by the database.
        kept = [(x.name, x.kind) for x in store.layers()]
        store.add_layer(Layer("school", "学区", "School districts", kind="reference"))
        assert [(x.name, x.kind) for x in store.layers()] == [*kept, ("school", "reference")]
        with pytest.raises(sqlite3.IntegrityError, match="layers_kind"), store.transaction():
            store._run("UPDATE layers SET kind = 'park' WHERE name = 'school'")
        assert store._run("PRAGMA integrity_check").scalar_one() == "ok"
    gdal.validate_gpkg(path)


@pytest.mark.parametrize("kind", ["gpkg", "postgis"])
def test_a_store_at_revision_0006_gains_the_clocks_with_each_running_case_warned(
    kind, request, tmp_path_factory
):
    """The sample city taken back to revision 0006 (its clock columns, index and table
    dropped): the upgrade warns each running case exactly when a dispatch in working time
    would have (the sample's cases were dispatched with the default hours and share).
    Its own copy of the sample city in each store (a few seconds once the session's sample
    city and PostGIS template exist; run alone, it builds them)."""
    from tests.contract.conftest import city_in

    with city_in(kind, request, tmp_path_factory, "rev0006") as store:
        fields = ["id", "warn_utc", "clock_kind", "clock_since"]
        before = [
            {k: r[k] for k in fields} for r in store.cases(statuses=list(STATUSES), limit=1 << 62)
        ]
        running = [r for r in before if r["clock_since"]]
        assert running and all(r["warn_utc"] for r in running)
        with store.transaction():
            store._run("DROP INDEX ix_incidents_warn")
            for column in ("clock_kind", "warn_utc"):
                store._run(f"ALTER TABLE incidents DROP COLUMN {column}")
            store._run("DROP TABLE category_clocks")
            if kind == "gpkg":
                store._run("DELETE FROM gpkg_contents WHERE table_name = 'category_clocks'")
            store._run("UPDATE alembic_version SET version_num = '0006'")
        assert migrations.ensure(store) == [f"upgraded from revision 0006 to {migrations.HEAD}"]
        after = {r["id"]: r for r in store.cases(statuses=list(STATUSES), limit=1 << 62)}
        # Dispatched before clocks had kinds: working time (workflow.Clock reads NULL so),
        # the sample's emergencies too, which were dispatched on the natural clock.
        assert all(r["clock_kind"] is None for r in after.values())
        work = [r for r in before if r["clock_kind"] != NATURAL]
        assert len(work) > len(before) // 2
        assert {r["id"]: r["warn_utc"] for r in work} == {
            r["id"]: after[r["id"]]["warn_utc"] for r in work
        }
        emergencies = [r for r in running if r["clock_kind"] == NATURAL]
        assert emergencies and all(after[r["id"]]["warn_utc"] for r in emergencies)
        assert store.clock_rules() == []
