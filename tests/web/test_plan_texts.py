"""The planner's rule texts, feasibility reasons and run messages in the page's language:
every code the planner's modules say has Chinese and English; a page says a rule, a
nested range and a list of reasons in its language; the plans page and a 422 page say
them in Chinese; a job's messages carry their codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import boundaries
from boundaries import feasibility
from boundaries.said import Said, bounds
from gridmap.errors import Infeasible
from tests.accounts import logged_in
from tests.conftest import copy_city
from web import create_app, i18n

HTML = {"Accept": "text/html"}


def test_every_code_said_has_both_languages(app):
    source = "\n".join(p.read_text() for p in Path(boundaries.__file__).parent.glob("*.py"))
    codes = set(re.findall(r'Said\(\s*"([\w.]+)"', source)) | {"bounds.range", "bounds.low"}
    assert len(codes) > 20
    assert sorted(c for c in codes if c not in i18n.SAID) == []
    with app.test_request_context("/"):
        zh, en = i18n.said_texts("zh"), i18n.said_texts("en")
    for code in i18n.SAID:  # translated, with the same parameters
        assert zh[code] != en[code] or code == "bounds.range", code
        assert set(re.findall(r"{(\w+)}", zh[code])) == set(re.findall(r"{(\w+)}", en[code]))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    # An empty store of its own (the texts need an app, not a city).
    url = f"gpkg://{tmp_path_factory.mktemp('plan-texts') / 'unused.gpkg'}"
    return create_app({"DATABASE_URL": url, "TESTING": True})


@pytest.mark.parametrize(
    ("lang", "want"),
    [
        ("zh", "区域 社区A 有 45,000 人，应为 20,000–40,000 人"),
        ("en", "district 社区A has 45,000 residents; expected 20,000..40,000"),
    ],
)
def test_a_rule_with_a_nested_range_in_each_language(app, lang, want):
    expected = bounds(20000, 40000)
    said = Said("rule.population", "(English)", district="社区A", population="45,000",
                expected=expected)  # fmt: skip
    with app.test_request_context(f"/?lang={lang}"):
        assert i18n.said(said) == want
        assert i18n.said(said.as_dict()) == want  # as the JSON carries it
        assert i18n.said("plain text") == "plain text"


def test_reasons_in_a_refusal_are_said_each(app):
    """A 422's reasons, from the feasibility check itself."""
    graph = _two_units()
    with pytest.raises(Infeasible) as refused:
        feasibility.check(graph, k=5)
    with app.test_request_context("/?lang=zh"):
        text = i18n.refusal(refused.value)
    assert text.startswith("没有方案能满足这些要求：5 个区域却只有 2 个单元")
    assert not re.search(r"[a-z]{4,}", text)  # no English words left


def _two_units():
    """Two 1 km squares side by side (``tests/boundaries/drawn.py``)."""
    from tests.boundaries.drawn import graph

    return graph("AB")


def test_the_plans_page_says_a_failing_rule_in_chinese(sample_path, tmp_path):
    path = copy_city(sample_path, tmp_path / "city.gpkg")
    url = f"gpkg://{path}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    planner = logged_in(app.test_client(), url, "planner")
    r = planner.post("/api/plans", json={"name": "街道", "from_layer": "street", "k": 30})
    assert r.status_code == 201
    html = planner.get("/plans", headers=HTML).get_data(as_text=True)
    assert 'title="方案有 29 个区域，应为 30 个"' in html
    assert 'id="gm-said" type="application/json"' in html  # the scripts' texts
    # The API and the command line keep the English, with the code beside it.
    shown = planner.get(f"/api/plans/{r.get_json()['id']}?k=30").get_json()
    verdict = {x["rule"]: x for x in shown["rules"]}["districts"]
    assert verdict["reason"] == "the plan has 29 districts; expected 30"
    assert verdict["said"]["code"] == "rule.districts"
