"""The case commands: routing rules, departments, the local calendar, escalation."""

from __future__ import annotations

from click.testing import CliRunner

from gridmap.cli import main
from tests.conftest import copy_city


def _run(db):
    def invoke(*args):
        return CliRunner().invoke(main, ["--db", db, *args])

    return invoke


def test_rules_departments_calendar_and_escalation(sample_path, tmp_path):
    copy_city(sample_path, tmp_path / "city.gpkg")
    run = _run(f"gpkg://{tmp_path / 'city.gpkg'}")
    r = run("route", "test", "125.10", "46.59", "E0404")
    assert r.exit_code == 0 and r.output.startswith("Fire station (fire) zone F")
    assert "duty officer:" in r.output
    r = run("route", "add", "--order", "1", "--category", "E0404", "--department", "police")
    assert r.exit_code == 0, r.output
    assert run("route", "test", "125.10", "46.59", "E0404").output.startswith("Police station")
    rule = r.output.split()[1]
    assert run("route", "remove", rule).exit_code == 0
    assert "Fire station" in run("route", "test", "125.10", "46.59", "E0404").output
    # the responsibility list's row for flooding, to Sartu's government there, moved up
    flooding = next(
        ln.split()[0] for ln in run("route", "list").output.splitlines() if "E0403" in ln
    )
    override = ("--layer", "district", "--area", "230602", "--department", "sartu")
    r = run("route", "change", flooding, "--order", "100", "--category", "E0403", *override)
    assert r.exit_code == 0, r.output
    assert run("route", "test", "125.10", "46.59", "E0403").output.startswith("Sartu district")
    assert run("route", "move", flooding, "up").output == f"Rule {flooding} moved up.\n"
    for args, message in [
        (
            (
                "route",
                "change",
                flooding,
                "--order",
                "1",
                *override[:2],
                "--area",
                "1",
                *override[4:],
            ),
            "no area",
        ),
        (("route", "move", "999", "up"), "no routing rule 999"),
        (("route", "add", "--order", "1", "--department", "nobody"), "unknown department"),
        (("route", "test", "125.10", "46.59", "E99"), "unknown category 'E99'"),
        (("route", "test", "-77.05", "38.73", "E0102"), "outside"),
        (("calendar", "set", "2026-13-01", "off"), "not a day"),
        (("route", "remove", "999"), "no routing rule 999"),
    ]:
        r = run(*args)
        assert r.exit_code != 0 and message in r.output, (args, r.output)
        assert "Traceback" not in r.output
    assert run("calendar", "set", "2026-12-24", "off", "--note", "city day").exit_code == 0
    assert "2026-12-24  day off  city day" in run("calendar", "list").output
    assert run("calendar", "set", "2026-12-24", "national").exit_code == 0
    assert run("calendar", "list").output == ""
    assert "immigration" in run("department", "list").output
    r = run("case", "escalate")
    assert r.exit_code == 0 and r.output.endswith("escalated.\n")
    assert run("case", "escalate").output == "0 overdue cases escalated.\n"


def test_a_city_sets_a_category_clock_and_limit(sample_path, tmp_path):
    copy_city(sample_path, tmp_path / "city.gpkg")
    run = _run(f"gpkg://{tmp_path / 'city.gpkg'}")

    def listed():
        return {
            line.split()[0]: line.split()[1:4]
            for line in run("category", "list").output.splitlines()
        }

    assert listed()["E0404"] == ["1", "h", "natural"]
    assert listed()["E0102"] == ["4", "h", "work"]
    r = run("category", "set", "E0102", "--clock", "natural", "--limit", "2")
    assert r.exit_code == 0 and r.output == "E0102: 2 h, round the clock.\n", r.output
    assert listed()["E0102*"] == ["2", "h", "natural"]
    for args, message in [
        (("category", "set", "E0102", "--clock", "work", "--limit", "1.5", "--unit", "d"), "whole"),
        (("category", "set", "E0102", "--clock", "work", "--limit", "nan"), "limit 'nan'"),
        (("category", "set", "E77", "--clock", "work", "--limit", "1"), "unknown category"),
        (("category", "set", "E0102", "--clock", "lunar", "--limit", "1"), "lunar"),
        (("category", "reset", "E9999"), "unknown category"),
    ]:
        r = run(*args)
        assert r.exit_code != 0 and message in r.output, (args, r.output)
        assert "Traceback" not in r.output
    assert run("category", "reset", "E0102").exit_code == 0
    assert listed()["E0102"] == ["4", "h", "work"]
    audit = run("audit", "--what", "category").output
    assert audit.count("category.clock") == 2, audit
