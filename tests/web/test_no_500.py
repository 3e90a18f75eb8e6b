"""No input answers 500 (docs/security.md, round 2, finding 10), as a property: schemathesis
calls every operation of the OpenAPI document (the case, plan and Open311 ones included,
with their documented bodies) with generated input, signed in as a dispatcher and as an
admin, on a city of its own (the dispatcher's reports and steps are written), and fails on
any 500.  Bounded and deterministic: a fixed number of examples per operation, hypothesis
derandomized, no example database, no shrinking."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from tests.accounts import token_for
from tests.web.conftest import city_copy
from web import create_app

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
    return create_app({"DATABASE_URL": fuzz_url, "TESTING": True})


@pytest.fixture(scope="module")
def tokens(fuzz_url):
    return {role: token_for(fuzz_url, role) for role in ("dispatcher", "admin")}


@pytest.fixture()
def fuzz_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)


schema = schemathesis.pytest.from_fixture("fuzz_schema")


def _call(case, token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
    )


@schema.parametrize()
@BOUNDED
def test_no_input_answers_500_to_a_dispatcher(case, tokens):
    _call(case, tokens["dispatcher"])


@schema.parametrize()
@BOUNDED
def test_no_input_answers_500_to_an_admin(case, tokens):
    _call(case, tokens["admin"])
