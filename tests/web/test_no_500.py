"""No input answers 500 (docs/security.md, round 2, finding 10), and every answer is the
one the document describes, as a property: schemathesis calls every operation of the
OpenAPI document (the case, plan and Open311 ones included, with their documented bodies;
Open311 posts with a valid api_key, so they reach past it) with generated input, signed
in as a dispatcher and as an admin, on a throw-away city of its own (the reports and
steps are written), and fails on any 500, any status, header or body the document does
not describe.  Bounded and deterministic: a fixed number of examples per operation,
hypothesis derandomized, no example database, no shrinking."""

from __future__ import annotations

import pytest
import schemathesis
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, settings

from gridmap.cli import main
from tests.accounts import token_for
from tests.web.conftest import city_copy
from tests.web.test_openapi import EXCLUDED
from web import create_app

pytestmark = pytest.mark.slow  # some hundred generated calls

EXAMPLES = 6
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def fuzz_url(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "fuzz")


@pytest.fixture(scope="module")
def fuzz_app(fuzz_url):
    limits = (10**6, 3600)  # the limits are tested elsewhere; here they would hide the rest
    return create_app(
        {
            "DATABASE_URL": fuzz_url,
            "TESTING": True,
            "OPEN311_PER_KEY": limits,
            "OPEN311_PER_ADDRESS": limits,
        }
    )


@pytest.fixture(scope="module")
def tokens(fuzz_url):
    return {role: token_for(fuzz_url, role) for role in ("dispatcher", "admin")}


@pytest.fixture(scope="module")
def open311_key(fuzz_url):
    out = CliRunner().invoke(main, ["--db", fuzz_url, "open311", "key", "add", "fuzz"]).output
    return out.split("(shown once): ")[1].strip()


@pytest.fixture()
def fuzz_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)


schema = schemathesis.pytest.from_fixture("fuzz_schema")


def _call(case, token: str, open311_key: str) -> None:
    if case.path.startswith("/open311/") and case.method == "POST" and isinstance(case.body, dict):
        case.body = {**case.body, "api_key": open311_key}
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=EXCLUDED)


@schema.parametrize()
@BOUNDED
def test_no_input_answers_500_to_a_dispatcher(case, tokens, open311_key):
    _call(case, tokens["dispatcher"], open311_key)


@schema.parametrize()
@BOUNDED
def test_no_input_answers_500_to_an_admin(case, tokens, open311_key):
    _call(case, tokens["admin"], open311_key)
