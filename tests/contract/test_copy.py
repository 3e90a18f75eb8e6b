"""gridmap copy: the sample city gpkg -> PostGIS -> gpkg, identical."""

from __future__ import annotations

from click.testing import CliRunner

from gridmap.accounts import verify_password
from gridmap.cli import main
from gridmap.stores import migrations
from gridmap.stores.gpkg import GeoPackageStore
from tests import postgis
from tests.accounts import PASSWORD, user_of


def test_copy_round_trips_the_sample_city(sample_path, tmp_path):
    pg = postgis.create_database("gridmap_copy")
    name = user_of(f"gpkg://{sample_path}", "planner")
    try:
        back = tmp_path / "back.gpkg"
        first = CliRunner().invoke(main, ["copy", f"gpkg://{sample_path}", pg])
        assert first.exit_code == 0, first.output
        assert "checked: counts and geometries are identical" in first.output
        second = CliRunner().invoke(main, ["copy", pg, f"gpkg://{back}"])
        assert second.exit_code == 0, second.output
        with GeoPackageStore(sample_path) as a, GeoPackageStore(back) as b:
            assert [g.name for g in a.generations()] == [g.name for g in b.generations()]
            assert b.generation().name == "2011"
            assert b.user(name).roles == ("planner",)  # the same people sign in, same password
            assert verify_password(b.user(name).password_hash, PASSWORD.format(name=name))
            for layer in a.layers():
                fa, fb = a.areas(layer.name), b.areas(layer.name)
                assert list(fa["code"]) == list(fb["code"])
                assert all(fa.geometry.values == fb.geometry.values)
                assert list(fa["population"]) == list(fb["population"])
            ia, ib = a.incidents(oldest_first=True), b.incidents(oldest_first=True)
            assert list(ia["areas"]) == list(ib["areas"])
            assert list(ia["reported_at"]) == list(ib["reported_at"])
        again = CliRunner().invoke(main, ["copy", f"gpkg://{sample_path}", pg])
        assert again.exit_code == 1 and "is not empty" in again.output
    finally:
        postgis.drop_database(pg)


def test_db_upgrade_records_the_applied_version():
    pg = postgis.create_database("gridmap_upgrade")
    try:
        first = CliRunner().invoke(main, ["--db", pg, "db", "upgrade"])
        assert first.exit_code == 0, first.output
        assert f"created the schema at revision {migrations.head()}" in first.output
        again = CliRunner().invoke(main, ["--db", pg, "db", "upgrade"])
        assert "nothing to apply" in again.output
        assert f"schema revision {migrations.head()}" in again.output
    finally:
        postgis.drop_database(pg)
