"""Inspecting a hazard: the next one due by risk level (sooner when it got worse), the
checks on the fields, and the inspection with its photos written all or nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta

import geopandas as gpd
import pytest
import shapely
from PIL import Image

from gridmap.errors import Forbidden, InvalidInput, NotFound
from gridmap.model import Layer
from gridmap.photos import check_photos
from gridmap.services import hazards
from gridmap.workflow import Actor

DAYS = (7, 30, 90, 180)
# Who may inspect which hazard is the access policy's (tests/contract/test_access.py): a
# department's inspector may inspect any; an officer only the hazards of their grids.
INSPECTOR = Actor("inspector@city", frozenset({"department"}), department="city")
OFFICER = Actor("officer@1", frozenset({"officer"}), ("1",))
TODAY = date(2026, 11, 20)


@pytest.fixture()
def hazard(store):
    """A store holding one low-risk hazard; its id."""
    store.add_layer(Layer("district", "区", "District"))
    store.add_generation("2011", activate=True)
    frame = gpd.GeoDataFrame(
        {"name": ["加油站"], "type": ["gas"], "risk_level": [4], "next_inspection": ["2026-12-01"]},
        geometry=[shapely.Point(125.05, 46.05)],
        crs="EPSG:4326",
    )
    (hazard_id,) = store.add_hazards(frame)
    return hazard_id


def _photo():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 90, 0)).save(out, "PNG")
    return check_photos([("valve.png", out.getvalue())], 1_000_000)


@pytest.mark.parametrize(
    ("level", "result", "days"),
    [(1, "pending", 7), (4, "rectified", 180), (4, "worse", 90), (2, "worse", 7), (1, "worse", 7)],
)
def test_the_next_inspection_follows_the_risk_level_and_comes_sooner_when_worse(
    level, result, days
):
    assert hazards.next_due(level, TODAY, DAYS, result) == TODAY + timedelta(days=days)


def test_an_inspection_is_written_with_its_photos_and_the_next_one_due(store, hazard):
    day = TODAY - timedelta(days=1)
    inspection = hazards.inspect(
        store, INSPECTOR, hazard, day, "worse", "  锈蚀加重  ", DAYS, _photo(), today=TODAY
    )
    (row,) = store.inspections(hazard)
    assert row["id"] == inspection and row["inspector"] == "inspector@city"
    assert row["result"] == "worse" and row["note"] == "锈蚀加重"
    assert store.hazard(hazard)["next_inspection"] == (day + timedelta(days=90)).isoformat()
    assert [a["action"] for a in store.audit_log(action="hazard")] == ["hazard.inspect"]


def test_worse_raises_the_risk_level_and_the_page_offers_a_case_of_its_category(store, hazard):
    """A low-risk hazard found worse twice: moderate after the first (90 days), serious
    after the second (30 days: the interval of its new level), each audited; its page
    shows the inspections' photos and offers a case of the category of a gas facility."""
    first, second = TODAY - timedelta(days=10), TODAY - timedelta(days=1)
    hazards.inspect(store, INSPECTOR, hazard, first, "worse", "", DAYS, _photo(), today=TODAY)
    assert store.hazard(hazard)["risk_level"] == 3
    assert store.hazard(hazard)["next_inspection"] == (first + timedelta(days=90)).isoformat()
    page = hazards.sheet(store, hazard, TODAY)
    assert page["offer_case"] and page["case_category"] == "C0602"
    hazards.inspect(store, INSPECTOR, hazard, second, "worse", "", DAYS, _photo(), today=TODAY)
    assert store.hazard(hazard)["risk_level"] == 2
    assert store.hazard(hazard)["next_inspection"] == (second + timedelta(days=30)).isoformat()
    audit = store.audit_log(action="hazard.inspect")
    assert [(a["before"]["risk_level"], a["after"]["risk_level"]) for a in audit] == [
        (3, 2),
        (4, 3),
    ]
    page = hazards.sheet(store, hazard, TODAY)
    assert [len(i["photos"]) for i in page["inspections"]] == [1, 1]
    assert page["inspections"][0]["photos"] != page["inspections"][1]["photos"]
    # A pending inspection after it: neither the level nor the offer of a case changes.
    hazards.inspect(store, INSPECTOR, hazard, TODAY, "pending", "", DAYS, today=TODAY)
    assert store.hazard(hazard)["risk_level"] == 2
    assert not hazards.sheet(store, hazard, TODAY)["offer_case"]


def test_every_hazard_type_becomes_a_case_of_a_known_category():
    from gridmap.catalogue import CATEGORIES, HAZARD_TYPES

    assert set(hazards.CASE_CATEGORY) == set(HAZARD_TYPES)
    assert set(hazards.CASE_CATEGORY.values()) <= set(CATEGORIES)


@pytest.mark.parametrize(
    ("day", "result", "note", "field"),
    [
        (TODAY + timedelta(days=1), "pending", "", "day"),
        (TODAY, "fine", "", "result"),
        (TODAY, "pending", "x" * 2001, "note"),
    ],
)
def test_a_bad_inspection_names_its_field_and_writes_nothing(
    store, hazard, day, result, note, field
):
    with pytest.raises(InvalidInput) as caught:
        hazards.inspect(store, INSPECTOR, hazard, day, result, note, DAYS, _photo(), today=TODAY)
    assert caught.value.field == field
    assert store.inspections(hazard) == []
    assert store.hazard(hazard)["next_inspection"] == "2026-12-01"


def test_an_unknown_hazard_is_not_found(store, hazard):
    with pytest.raises(NotFound):
        hazards.inspect(store, INSPECTOR, hazard + 1, TODAY, "pending", "", DAYS, today=TODAY)


def test_an_officer_inspects_only_the_hazards_of_their_grids(store, hazard):
    with pytest.raises(Forbidden, match="not in your grids"):
        hazards.inspect(store, OFFICER, hazard, TODAY, "pending", "", DAYS, today=TODAY)
    assert store.inspections(hazard) == []
    assert store.hazard(hazard)["next_inspection"] == "2026-12-01"
