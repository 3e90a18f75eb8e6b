"""Effective dates: a generation records the day it took effect and, once replaced, the
last day it was in force; lookups answer with the generation in force on a day."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from gridmap.cli import main
from gridmap.errors import InvalidInput, NotFound
from gridmap.model import Layer
from gridmap.services import generations
from tests.lookups import lookup_point

WEST, EAST = shapely.box(125.0, 46.0, 125.1, 46.1), shapely.box(125.1, 46.0, 125.2, 46.1)


@pytest.fixture()
def reformed(store):
    """Grid A until the 2012 reform (effective 2012-09-20), then grid B."""
    store.add_layer(Layer("grid", "网格", "Grid"))
    old = store.add_generation("2011", activate=True)
    new = store.add_generation("2012")
    one = gpd.GeoDataFrame({"code": ["A"]}, geometry=[WEST.union(EAST)], crs="EPSG:4326")
    store.write_areas("grid", one, old.id, until=old.id)
    two = gpd.GeoDataFrame({"code": ["B"]}, geometry=[WEST.union(EAST)], crs="EPSG:4326")
    store.write_areas("grid", two, new.id)
    generations.activate(store, "2012", effective=date(2012, 9, 20))
    return store


def test_activation_records_when_each_generation_was_in_force(reformed):
    old, new = reformed.generations()
    assert (old.effective_from, old.effective_to) == (None, date(2012, 9, 19))
    assert (new.effective_from, new.effective_to) == (date(2012, 9, 20), None)
    assert reformed.generation_at(day=date(2012, 9, 19)).name == "2011"
    assert reformed.generation_at(day=date(2012, 9, 20)).name == "2012"
    assert reformed.generation_at(day=date(2030, 1, 1)).name == "2012"
    assert lookup_point(reformed, 125.05, 46.05, generation="2011")["areas"]["grid"]["code"] == "A"


def test_lookup_by_date_on_the_command_line(reformed):
    run = CliRunner().invoke
    before = run(main, ["--db", reformed.url, "lookup", "125.05", "46.05", "--date", "2012-01-01"])
    after = run(main, ["--db", reformed.url, "lookup", "125.05", "46.05", "--date", "2013-01-01"])
    assert before.exit_code == 0 and after.exit_code == 0, before.output + after.output
    assert "A" in before.output.split() and "B" in after.output.split()
    both = run(
        main,
        [
            "--db",
            reformed.url,
            "lookup",
            "125.05",
            "46.05",
            "--date",
            "2013-01-01",
            "--generation",
            "2011",
        ],
    )
    assert both.exit_code == 1 and "not both" in both.output


def test_dates_that_cannot_be_answered_say_why(store):
    store.add_layer(Layer("grid", "网格", "Grid"))
    store.add_generation("g1", activate=True)
    with pytest.raises(NotFound, match="no dates yet"):
        store.generation_at(day=date(2020, 1, 1))
    store.set_effective("g1", date(2020, 1, 1))
    with pytest.raises(NotFound, match="no generation was in force on 2019-12-31"):
        store.generation_at(day=date(2019, 12, 31))
    with pytest.raises(InvalidInput, match="ends"):
        store.set_effective("g1", date(2020, 1, 2), date(2020, 1, 1))


def test_the_lookup_api_answers_what_another_process_committed_at_once(reformed):
    """The API reads generations through a connection it keeps between requests (no store
    opened per request): what another process commits shows in the very next answer."""
    import subprocess
    import sys

    from web import create_app

    client = create_app({"DATABASE_URL": reformed.url, "TESTING": True}).test_client()

    def grid(query: str = "") -> str:
        answer = client.get(f"/api/lookup?lon=125.05&lat=46.05{query}")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.get_json()["areas"]["grid"]["code"]

    assert grid() == "B" and grid("&generation=2011") == "A"
    assert client.get("/api/lookup?lon=125.05&lat=46.05&generation=2013").status_code == 404
    elsewhere = (
        "import sys; from gridmap.stores import open_store; "
        "from gridmap.services.generations import activate; s = open_store(sys.argv[1]); "
        "activate(s, '2011'); s.add_generation('2013'); s.close()"
    )
    subprocess.run([sys.executable, "-c", elsewhere, reformed.url], check=True, timeout=120)
    assert grid() == "A"
    assert grid("&generation=2013") == "B"  # a generation it had not seen (B lives on)
    assert grid("&date=2012-01-01") == "A"
