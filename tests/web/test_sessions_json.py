"""Control characters in public text need no scrubbing on the way into JSON answers (issue
25, part 3's leftover): every JSON the app writes, through Flask's encoder or the GeoJSON
writer, escapes them, so a strict parser reads the answer and gets the text back as it
was stored (XML has no such escape and is scrubbed: tests/web/test_kept_in.py)."""

from __future__ import annotations

import json

import pytest
import shapely

from web import create_app, geojson

NASTY = "x \x02 y\x1b[31m z\x7f\u2028\x00"


@pytest.fixture()
def app(tmp_path):
    """The app as configured for serving, on an empty store (the encoders need no city)."""
    return create_app({"DATABASE_URL": f"gpkg://{tmp_path / 'empty.gpkg'}", "TESTING": True})


def test_flask_answers_escape_control_characters(app):
    with app.app_context():
        body = app.json.dumps({"description": NASTY})
    assert not any(ord(c) < 0x20 for c in body)
    assert json.loads(body, strict=True) == {"description": NASTY}


def test_geojson_answers_escape_control_characters(app):
    with app.test_request_context():
        one = geojson.feature(shapely.Point(125.1, 46.6), {"description": NASTY}, 1)
        many = geojson.features([shapely.Point(125.1, 46.6)], [{"description": NASTY}])
    for answer in (one, many):
        body = answer.get_data(as_text=True)
        assert not any(ord(c) < 0x20 for c in body)
        parsed = json.loads(body, strict=True)
        props = (
            parsed["properties"] if "properties" in parsed else parsed["features"][0]["properties"]
        )
        assert props["description"] == NASTY
