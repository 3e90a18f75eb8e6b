"""Inspecting a hazard: the next one due by risk level (sooner when it got worse), the
checks on the fields, and the inspection with its photos written all or nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta

import geopandas as gpd
import pytest
import shapely
from PIL import Image

from gridmap.errors import InvalidInput, NotFound
from gridmap.model import Layer
from gridmap.photos import check_photos
from gridmap.services import hazards
from gridmap.workflow import Actor

DAYS = (7, 30, 90, 180)
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
        store, OFFICER, hazard, day, "worse", "  锈蚀加重  ", DAYS, _photo(), today=TODAY
    )
    (row,) = store.inspections(hazard)
    assert row["id"] == inspection and row["inspector"] == "officer@1"
    assert row["result"] == "worse" and row["note"] == "锈蚀加重"
    assert store.hazard(hazard)["next_inspection"] == (day + timedelta(days=90)).isoformat()
    assert [a["action"] for a in store.audit_log(action="hazard")] == ["hazard.inspect"]


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
        hazards.inspect(store, OFFICER, hazard, day, result, note, DAYS, _photo(), today=TODAY)
    assert caught.value.field == field
    assert store.inspections(hazard) == []
    assert store.hazard(hazard)["next_inspection"] == "2026-12-01"


def test_an_unknown_hazard_is_not_found(store, hazard):
    with pytest.raises(NotFound):
        hazards.inspect(store, OFFICER, hazard + 1, TODAY, "pending", "", DAYS, today=TODAY)
