"""The OpenAPI document: generated from the app (every JSON route is in it), valid
OpenAPI 3, browsable, and true: schemathesis calls every operation with generated input
and fails on any 500 or any answer the document does not describe."""

from __future__ import annotations

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, settings
from jsonschema import Draft4Validator
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from web.openapi import PREFIXES


def validate(doc: dict) -> None:
    """Valid OpenAPI 3.0: checked by the OpenAPI Initiative's JSON schema of 3.0 documents,
    as the ogctests package ships it."""
    from importlib.resources import files

    path = files("ogctests") / "features" / "schemas" / "openapi_schema_v3.0.yaml"
    Draft4Validator(yaml.safe_load(path.read_text())).validate(doc)


# Bounded: a few examples per operation, no shrinking (a failure is reported as found).
EXAMPLES = 12
# Every check but two: whether a value is acceptable often depends on others or on the
# data (west <= east in a bbox, a generation or a date but not both, SRID 4326, an empty
# parameter meaning "not given"), which an OpenAPI schema cannot say; those answers are
# the documented 400 naming the parameter, and the checks that remain hold them to it.
EXCLUDED = [positive_data_acceptance, negative_data_rejection]


@pytest.fixture()
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case):
    case.call_and_validate(excluded_checks=EXCLUDED)


@pytest.mark.slow
@schema.include(method="GET").parametrize()
@settings(
    max_examples=EXAMPLES // 2,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_read_answers_as_documented_to_a_dispatcher(case, dispatcher_token):
    """Signed in, the reads answer with data rather than 401 (writes would change the store
    the other tests share: they are called anonymously above)."""
    case.call_and_validate(
        headers={"Authorization": f"Bearer {dispatcher_token}"}, excluded_checks=EXCLUDED
    )


@pytest.fixture(scope="module")
def dispatcher_token(web_db):
    from tests.accounts import token_for

    return token_for(f"gpkg://{web_db}", "dispatcher")


def test_every_json_route_is_documented(app, anonymous):
    doc = anonymous.get("/openapi.json").get_json()
    validate(doc)
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIXES)}
    documented = set(doc["paths"])
    assert len(documented) == len(rules)
    assert "/ogc/collections/{collection_id}/items" in documented
    assert "/point/{srid}/{point}" in documented
    items = doc["paths"]["/ogc/collections/{collection_id}/items"]["get"]
    assert {p["name"] for p in items["parameters"]} >= {"collection_id", "bbox", "limit"}
    # Every operation that takes a body documents it (schemathesis then sends one).
    writes = {
        ("/api/cases", "application/json", "category"),
        ("/api/cases/{incident_id}/actions", "application/json", "action"),
        ("/api/plans", "application/json", "name"),
        ("/api/plans/{plan_id}/reassign", "application/json", "changes"),
        ("/api/plans/{plan_id}/publish", "application/json", "name"),
        ("/api/plans/auto", "application/json", "balance"),
        ("/open311/v2/requests.{fmt}", "application/x-www-form-urlencoded", "service_code"),
    }
    for path, media, field in writes:
        content = doc["paths"][path]["post"]["requestBody"]["content"]
        assert field in content[media]["schema"]["properties"], path
    # Open311's operations: JSON or XML by the path, each answer with its own schema.
    post = doc["paths"]["/open311/v2/requests.{fmt}"]["post"]
    fmt = next(p for p in post["parameters"] if p["name"] == "fmt")
    assert fmt["schema"]["enum"] == ["json", "xml"]
    created = post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert created.endswith("/Open311Created") and "404" in post["responses"]


def test_the_ogc_part_has_one_path_per_collection(anonymous):
    doc = anonymous.get("/ogc/openapi.json").get_json()
    validate(doc)
    assert doc["servers"][0]["url"].endswith("/ogc")
    bbox = next(
        p
        for p in doc["paths"]["/collections/grid/items"]["get"]["parameters"]
        if p["name"] == "bbox"
    )
    assert bbox["schema"]["minItems"] == 4 and bbox["explode"] is False


def test_the_page_uses_only_its_own_script(anonymous):
    page = anonymous.get("/openapi")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "/static/openapi.js" in text and "https://" not in text
    assert "script-src 'self' 'nonce-" in page.headers["Content-Security-Policy"]
    with anonymous.get("/static/openapi.js") as script:
        assert script.status_code == 200
