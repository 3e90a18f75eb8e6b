"""Users, tokens and the audit trail, on every store."""

from __future__ import annotations

import pytest

from gridmap import accounts
from gridmap.errors import InvalidInput, NotFound


def _hash(password="long enough password"):
    return accounts.hash_password(password)


def test_users_round_trip_and_are_checked(store):
    store.actor = "cli:root"
    user = store.add_user("wang", _hash(), ["officer"], areas=["23060200801306"])
    assert user == store.user("wang")
    assert user.roles == ("officer",) and user.areas == ("23060200801306",) and user.active
    assert accounts.verify_password(store.user("wang").password_hash, "long enough password")
    with pytest.raises(InvalidInput, match="exists already"):
        store.add_user("wang", _hash(), ["viewer"])
    with pytest.raises(InvalidInput, match="role 'root'"):
        store.add_user("li", _hash(), ["root"])
    with pytest.raises(InvalidInput, match="needs its department"):
        store.add_user("li", _hash(), ["department"])
    with pytest.raises(InvalidInput, match="at least 10"):
        accounts.hash_password("short")
    with pytest.raises(NotFound, match="no user 'nobody'"):
        store.user("nobody")
    assert [u.name for u in store.users()] == ["wang"]


def test_tokens_belong_to_an_active_user_and_can_be_revoked(store):
    store.add_user("planner1", _hash(), ["planner", "admin"])
    token, digest = accounts.new_token()
    made = store.add_token("planner1", "batch job", digest, "planner")
    assert (made.user, made.name, made.role, made.revoked) == (
        "planner1",
        "batch job",
        "planner",
        False,
    )
    user, role = store.token_user(accounts.token_digest(token))
    assert user.name == "planner1" and role == "planner"
    assert store.token_user(accounts.token_digest(token + "x")) is None
    with pytest.raises(InvalidInput, match="does not hold the role 'dispatcher'"):
        store.add_token("planner1", "other", accounts.new_token()[1], "dispatcher")
    store.update_user("planner1", active=False)
    assert store.token_user(digest) is None  # a disabled user's tokens stop working
    store.update_user("planner1", active=True)
    store.revoke_token(made.id)
    assert store.token_user(digest) is None and store.tokens("planner1")[0].revoked


def test_every_change_is_audited_and_a_failed_one_leaves_no_row(store):
    store.actor = "cli:admin"
    store.add_user("zhao", _hash(), ["viewer"])
    store.update_user("zhao", password_hash=_hash("another long password"))
    store.update_user("zhao", roles=["viewer", "dispatcher"])
    log = store.audit_log()
    assert [(r["actor"], r["action"], r["target"]) for r in log] == [
        ("cli:admin", "user.change", "zhao"),
        ("cli:admin", "user.passwd", "zhao"),
        ("cli:admin", "user.add", "zhao"),
    ]
    assert log[0]["before"]["roles"] == ["viewer"]
    assert log[0]["after"]["roles"] == ["viewer", "dispatcher"]
    assert all("password" not in str(r["before"]) + str(r["after"]) for r in log)
    with pytest.raises(RuntimeError), store.transaction():
        store.add_user("qian", _hash(), ["viewer"])
        raise RuntimeError("the change fails after its audit row was written")
    assert len(store.audit_log()) == 3 and [u.name for u in store.users()] == ["zhao"]
    assert [r["action"] for r in store.audit_log(action="user.pass")] == ["user.passwd"]
    assert store.audit_log(actor="someone else") == []


def test_imports_publishes_and_plans_are_audited_and_a_failed_import_is_not(store, tmp_path):
    import geopandas as gpd
    import shapely

    from etl.imports import import_layer
    from etl.validate import ImportRefused

    store.actor = "cli:planner"
    good = tmp_path / "wards.geojson"
    gpd.GeoDataFrame(
        {"code": ["W1", "W2"]},
        geometry=[shapely.box(125, 46, 125.1, 46.1), shapely.box(125.1, 46, 125.2, 46.1)],
        crs="EPSG:4326",
    ).to_file(good)
    import_layer(store, good, "ward")
    bad = tmp_path / "overlap.geojson"
    gpd.GeoDataFrame(
        {"code": ["W3", "W3"]},
        geometry=[shapely.box(125, 46, 125.1, 46.1), shapely.box(125.05, 46, 125.2, 46.1)],
        crs="EPSG:4326",
    ).to_file(bad)
    with pytest.raises((ImportRefused, InvalidInput)):
        import_layer(store, bad, "ward2")
    plan = store.save_plan("draft", {}, {"W1": "1", "W2": "1"})
    store.save_plan("draft", {}, {"W1": "1", "W2": "2"}, plan_id=plan)
    rows = store.audit_log()
    assert [(r["action"], r["target"]) for r in rows] == [
        ("plan.change", str(plan)),
        ("plan.add", str(plan)),
        ("import_layer", "ward"),
        ("activate", "1"),  # the first import made the first generation, active
    ]
    assert rows[0]["before"] == {"name": "draft", "W2": "1"}
    assert rows[0]["after"] == {"name": "draft", "W2": "2"}
    assert rows[2]["after"] == {
        "file": "wards.geojson",
        "areas": 2,
        "generation": "1",
        "kind": "reference",  # a new layer without a parent
        "parent": None,
    }
    assert {r["actor"] for r in rows} == {"cli:planner"}
