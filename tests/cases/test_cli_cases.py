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


def test_the_command_line_merges_duplicates(sample_path, tmp_path):
    from gridmap.stores import open_store

    copy_city(sample_path, tmp_path / "city.gpkg")
    url = f"gpkg://{tmp_path / 'city.gpkg'}"
    run = _run(url)
    with open_store(url) as store:
        a, b, c = [x["id"] for x in store.cases(statuses=["reported"], limit=3)]
    r = run("case", "merge", str(a), str(b), str(c), "--note", "same pothole")
    assert r.exit_code == 0 and r.output == f"2 cases merged into {a}.\n", r.output
    with open_store(url) as store:
        assert store.case_children([a]) == {a: sorted([b, c])}
        assert store.case(b)["status"] == "closed"
        assert store.audit_log(action="case.merge")[0]["actor"].startswith("cli:")
    r = run("case", "merge", str(a), str(b))
    assert r.exit_code != 0 and "only an open case" in r.output
    assert "Traceback" not in r.output


def test_the_case_list_with_the_web_filters(sample_path, tmp_path):
    copy_city(sample_path, tmp_path / "city.gpkg")
    run = _run(f"gpkg://{tmp_path / 'city.gpkg'}")
    r = run("case", "list", "--search", "#17")
    assert r.exit_code == 0 and r.output.startswith("#17\tclosed\t") and "1 case," in r.output
    r = run("case", "list", "--overdue", "--per-page", "3", "--sort", "newest")
    lines = r.output.splitlines()
    assert r.exit_code == 0 and len(lines) == 4 and "社区" in lines[0]
    assert lines[-1].endswith("(newest order)") and "page 1 of " in lines[-1]
    ids = [int(line.split()[0][1:]) for line in lines[:3]]
    assert ids == sorted(ids, reverse=True)  # the sample reports in order
    r = run("case", "list", "--department", "nobody")
    assert r.exit_code != 0 and "parameter 'department'" in r.output
