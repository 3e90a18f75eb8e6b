"""``gridmap plan ...`` as a planner types it, on a copy of the sample city."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gridmap.cli import main
from gridmap.stores.gpkg import GeoPackageStore
from tests.conftest import copy_city


@pytest.fixture()
def city(sample_path, tmp_path, monkeypatch):
    copy_city(sample_path, tmp_path / "city.gpkg")
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", f"gpkg://{tmp_path / 'city.gpkg'}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args, ok=True):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def auto_plan_csv(sample_path, tmp_path_factory):
    """``gridmap plan auto`` as typed, run once for the module: bounded by steps, the plan
    is the same whichever test would run it (and on any machine)."""
    folder = tmp_path_factory.mktemp("plan-auto")
    copy_city(sample_path, folder / "city.gpkg")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRIDMAP_DATABASE_URL", f"gpkg://{folder / 'city.gpkg'}")
        mp.chdir(folder)
        run(
            "plan",
            "auto",
            "--k",
            "70",
            "--min",
            "20000",
            "--max",
            "40000",
            "--steps",
            "3000",
            "--out",
            "plan.csv",
        )
    return folder / "plan.csv"


@pytest.fixture()
def plan_csv(city, auto_plan_csv):
    """That plan, in this test's own copy of the city."""
    return Path(shutil.copy(auto_plan_csv, city / "plan.csv"))


def test_auto_writes_a_plan_that_passes_the_rules(plan_csv):
    out = run("plan", "show", str(plan_csv), "--k", "70", "--min", "20000", "--max", "40000").output
    assert "70 areas, ideal 22,890" in out
    for rule in ("contiguous", "population", "nested", "districts"):
        assert f"ok   {rule}" in out
    rows = plan_csv.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "unit,district"


def test_show_fails_with_the_reason_when_a_rule_is_broken(plan_csv):
    result = run("plan", "show", str(plan_csv), "--min", "23000", ok=False)
    assert result.exit_code == 1
    assert "FAIL population  district" in result.output
    assert "residents; expected at least 23,000" in result.output


def test_metrics_are_json(plan_csv):
    data = json.loads(run("plan", "metrics", str(plan_csv)).output)
    assert data["districts"] == 70
    assert len(data["per_district"]["reock"]) == 70


def test_compare_with_today_and_with_another_plan(plan_csv, city):
    out = run("plan", "compare", str(plan_csv)).output
    assert "against today's neighborhood" in out
    assert "residents moved" in out
    data = json.loads(run("plan", "compare", str(plan_csv), "--json").output)
    shares = {}
    for row in data["crosswalk"]:
        shares[row["old"]] = shares.get(row["old"], 0) + row["share_of_old"]
    assert len(shares) == 200
    assert all(abs(v - 1) < 1e-3 for v in shares.values())
    # A plan against itself: nothing moves.
    same = json.loads(run("plan", "compare", str(plan_csv), str(plan_csv), "--json").output)
    assert same["units_moved"] == 0 and same["residents_moved"] == 0


def test_import_names_the_bad_line(city, plan_csv):
    lines = plan_csv.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = "230699999999," + lines[2].split(",")[1]
    (city / "bad.csv").write_text("\n".join(lines) + "\n")
    result = run("plan", "import", "bad.csv", "--out", "x.csv", ok=False)
    assert result.exit_code == 1
    assert (
        "bad.csv row 2: unit 230699999999 is not a neighborhood or grid of generation 1"
        in result.output
    )
    assert not (city / "x.csv").exists()


def test_import_a_districtr_assignment_and_export_geojson(city, plan_csv):
    rows = [line.split(",") for line in plan_csv.read_text().splitlines()[1:]]
    (city / "districtr.json").write_text(json.dumps({u: d for u, d in rows}))
    run("plan", "import", "districtr.json", "--out", "again.csv")
    assert sorted((city / "again.csv").read_text().splitlines()) == sorted(
        plan_csv.read_text().splitlines()
    )
    run("plan", "export", str(plan_csv), "--out", "plan.geojson")
    features = json.loads((city / "plan.geojson").read_text())["features"]
    assert len(features) == len(rows)
    assert features[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_publish_stages_then_activate(city, plan_csv):
    out = run("plan", "publish", str(plan_csv), "--name", "2012").output
    assert "staged (inactive): 70 community areas, 1487 grids" in out
    with GeoPackageStore(city / "city.gpkg") as store:
        assert store.generation().name == "2011"
    run("plan", "activate", "2012")
    old = run("lookup", "125.10", "46.59", "--generation", "2011", "--json").output
    new = run("lookup", "125.10", "46.59", "--json").output
    assert "neighborhood" in json.loads(old)["areas"]
    assert set(json.loads(new)["areas"]) == {"district", "community", "grid"}
    again = run("plan", "publish", str(plan_csv), "--name", "2013", ok=False)
    assert "the plan was made on generation 2011" not in again.output  # units: active gen
    assert again.exit_code == 1


def test_discard_a_staged_generation(city):
    from tests.staging import stage

    url = f"gpkg://{city / 'city.gpkg'}"
    stage(url, "2012")
    refused = run("plan", "discard", "2011", ok=False)
    assert refused.exit_code == 1 and "is not staged" in refused.output
    out = run("plan", "discard", "2012").output
    assert "Generation 2012 discarded: 200 community, 1487 grid removed." in out
    with GeoPackageStore(city / "city.gpkg") as store:
        assert [g.name for g in store.generations()] == ["2011"]
        row = store.audit_log(action="discard")[0]
    assert row["target"] == "2012" and row["actor"].startswith("cli:")


@pytest.mark.slow
def test_sample_with_reform(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", f"gpkg://{tmp_path / 'reform.gpkg'}")
    out = run("sample", "--with-reform").output
    assert "Published the reform as generation 2012 (active): 70 communities" in out
    with GeoPackageStore(tmp_path / "reform.gpkg") as store:
        assert [g.name for g in store.generations()] == ["2011", "2012"]
        assert store.count_areas("neighborhood", "2011") == 200
        assert store.count_areas("community", "2012") == 70
        populations = store.areas("community")["population"]
        assert populations.between(20_000, 40_000).all()


def test_links_join_units_that_share_no_border(city):
    from boundaries import units as units_of

    with GeoPackageStore(city / "city.gpkg") as store:
        plain = units_of.from_store(store)
        a, b = "230602001001", "230602008013"  # same district, far apart
        linked = units_of.from_store(store, links=[(a, b)])
    i, j = (int(plain.units.index([c])[0]) for c in (a, b))
    assert j not in plain.units.neighbours[i]
    assert j in linked.units.neighbours[i]
    assert len(linked.fine.edge_i) == len(plain.fine.edge_i) + 1
    result = run("plan", "show", "nope.csv", "--link", "230602001001", ok=False)
    assert result.exit_code != 0


def test_submit_return_and_approve_a_stored_plan(city):
    """``gridmap plan submit / waiting / return / approve``: the same service as the web's,
    the submitted names on the new generation, a bad step refused with its reason."""
    from boundaries.workspace import Workspace

    with GeoPackageStore(city / "city.gpkg") as store:
        codes = store.areas("neighborhood")["code"]
        work = Workspace()
        plan_id = work.create(store, "命令行方案", {}, assignment={c: c for c in codes})["id"]
        proposed = {a["code"]: a["name"] for a in work.preview(store, plan_id).areas}
    first = sorted(proposed)[0]
    run("plan", "submit", str(plan_id), "--note", "请审批", "--area-name", f"{first}=东湖")
    assert run("plan", "waiting").output.startswith(f"{plan_id}\t命令行方案\t")
    refused = run("plan", "submit", str(plan_id), ok=False)
    assert refused.exit_code != 0 and "submitted already" in refused.output
    run("plan", "return", str(plan_id), "--note", "改名")
    assert run("plan", "waiting").output == ""
    run("plan", "submit", str(plan_id), "--area-name", f"{first}=东湖新区")
    out = run("plan", "approve", str(plan_id), "--name", "2012").output
    assert f"Plan {plan_id} published as generation 2012" in out
    with GeoPackageStore(city / "city.gpkg") as store:
        written = dict(store.areas("community", "2012")[["code", "name"]].values)
        steps = [r["step"] for r in store.plan_reviews(plan_id)]
    assert written == {**proposed, first: "东湖新区"}
    assert steps == ["submitted", "returned", "submitted", "published"]
