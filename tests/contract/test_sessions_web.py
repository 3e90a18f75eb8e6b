"""Sessions end when they should, on every store: a copied session cookie is refused after
a sign-out, a new password, "sign out everywhere" and disabling the user; tokens expire
and end with a new password unless kept; sign-in limits are counted in the store, so two
app instances on one store count together; sign-ins and their ends are audited."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gridmap import accounts
from gridmap.cli import main
from gridmap.services.sessions import Limits
from gridmap.stores import open_store
from gridmap.stores import schema as schema
from tests import postgis
from tests.accounts import PASSWORD, logged_in, signed_in, user_of
from web import create_app


def _app(url: str, **config):
    return create_app({"DATABASE_URL": url, "TESTING": True, **config})


def _copy(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _cli(url: str, *args: str) -> str:
    out = CliRunner().invoke(main, ["--db", url, *args])
    assert out.exit_code == 0, out.output
    return out.output


def _web_sign_out_everywhere(app, url, name):
    admin = signed_in(app.test_client(), url, "admin")
    r = admin.post("/admin/users/sign-out", data={"name": name})
    assert r.status_code == 302, r.get_data(as_text=True)


ENDINGS = {
    "sign-out": lambda app, url, name, client: client.post("/logout"),
    "new password": lambda app, url, name, client: _cli(url, "user", "passwd", name, "--generate"),
    "sign out everywhere (web)": lambda app, url, name, client: _web_sign_out_everywhere(
        app, url, name
    ),
    "sign out everywhere (cli)": lambda app, url, name, client: _cli(url, "user", "signout", name),
    "disabled": lambda app, url, name, client: _cli(url, "user", "disable", name),
}


@pytest.mark.parametrize("ending", ENDINGS)
def test_a_copied_session_cookie_is_refused_once_the_session_ends(store, ending):
    app = _app(store.url)
    client = logged_in(app.test_client(), store.url, "planner")
    name = user_of(store.url, "planner")
    thief = _copy(app, client)
    assert thief.get("/api/me").get_json()["name"] == name
    assert name not in client.get_cookie("session").value  # the cookie names nobody
    ENDINGS[ending](app, store.url, name, client)
    assert thief.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 401
    with open_store(store.url) as s:
        assert s.sessions(name) == []
        actions = [r["action"] for r in s.audit_log(actor=f"web:{name}")]
    assert "sign_in" in actions


def test_sign_ins_failures_and_sign_outs_are_audited(store):
    app = _app(store.url)
    name = user_of(store.url, "viewer")
    client = app.test_client()
    r = client.post("/login", data={"name": name, "password": "not the password"})
    assert r.status_code == 401
    logged_in(client, store.url, "viewer")
    client.post("/logout")
    with open_store(store.url) as s:
        rows = s.audit_log(action="sign")
    assert [(r["action"], r["actor"], r["target"]) for r in rows] == [
        ("sign_out", f"web:{name}", name),
        ("sign_in", f"web:{name}", name),
        ("sign_in.failed", "web:anonymous", name),
    ]
    assert rows[1]["after"]["address"] == "127.0.0.1"
    assert rows[2]["after"] == {"address": "127.0.0.1"}


def test_a_session_idle_too_long_is_refused(store):
    app = _app(store.url, SESSION_IDLE_SECONDS=3600)
    client = logged_in(app.test_client(), store.url, "viewer")
    assert client.get("/api/me").status_code == 200
    hours_ago = datetime.now(timezone.utc) - timedelta(hours=2)
    with store.transaction():  # what two hours without a request would leave
        store._run(sa.update(schema.sessions).values(seen=schema.timestamp_text(hours_ago)))
    assert client.get("/api/me").status_code == 401
    with open_store(store.url) as s:
        assert s.audit_log(action="session.end")[0]["after"] == {"reason": "idle", "sessions": 1}


def test_signing_in_again_ends_the_browser_s_previous_session(store):
    app = _app(store.url)
    client = logged_in(app.test_client(), store.url, "viewer")
    thief = _copy(app, client)
    logged_in(client, store.url, "planner")
    assert client.get("/api/me").get_json()["name"] == user_of(store.url, "planner")
    assert thief.get("/api/me").status_code == 401


def test_the_admin_page_lists_live_sessions(store):
    app = _app(store.url)
    name = user_of(store.url, "planner")
    logged_in(app.test_client(), store.url, "planner")
    logged_in(app.test_client(), store.url, "planner")
    page = signed_in(app.test_client(), store.url, "admin").get("/admin/users?lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    row = text.split(f'data-name="{name}"')[1].split("</tr>")[0]
    assert '<td class="gm-sessions">2</td>' in row and "Sign out everywhere" in row
    listed = _cli(store.url, "user", "sessions", name).splitlines()
    assert len(listed) == 2 and all(name in line and "127.0.0.1" in line for line in listed)
    unknown = CliRunner().invoke(main, ["--db", store.url, "user", "signout", "nobody"])
    assert unknown.exit_code != 0 and "no user 'nobody'" in unknown.output


def _bearer(app, token: str):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_tokens_expire_and_end_with_a_new_password_unless_kept(store):
    app = _app(store.url)
    name = user_of(store.url, "planner")
    out = _cli(
        store.url, "user", "token", name, "--name", "month", "--role", "planner", "--days", "30"
    )
    token = out.split("Token (shown once): ")[1].strip()
    assert "expires 20" in out and "expires 20" in _cli(store.url, "user", "tokens", name)
    assert _bearer(app, token).get("/api/me").status_code == 200
    _cli(store.url, "user", "passwd", name, "--generate", "--keep-tokens")
    assert _bearer(app, token).get("/api/me").status_code == 200  # kept, as asked
    _cli(store.url, "user", "passwd", name, "--generate")
    assert _bearer(app, token).get("/api/me").status_code == 401
    assert "revoked" in _cli(store.url, "user", "tokens", name)


def _fail(app, name: str) -> int:
    return (
        app.test_client().post("/login", data={"name": name, "password": "wrong one!"}).status_code
    )


def test_sign_in_limits_count_across_app_instances_on_one_postgis_store(pg_url):
    postgis.empty(pg_url)
    with open_store(pg_url):
        pass  # the schema, before two apps start on it
    limits = Limits(per_name=3, per_address=5, seconds=300)
    a, b = _app(pg_url, SIGN_IN_LIMITS=limits), _app(pg_url, SIGN_IN_LIMITS=limits)
    name = user_of(pg_url, "viewer")
    # Per name: three failures, taken turns on two instances, block the name on both.
    assert [_fail(a, name), _fail(b, name), _fail(a, name)] == [401, 401, 401]
    assert _fail(b, name) == 429
    right = {"name": name, "password": PASSWORD.format(name=name)}
    assert a.test_client().post("/login", data=right).status_code == 429  # even the right one
    # Per address: five failures over any names block every name from that address.
    assert [_fail(b, "ghost-1"), _fail(a, "ghost-2")] == [401, 401]
    assert _fail(b, "ghost-3") == 429
    with open_store(pg_url) as s:
        assert len(s.audit_log(action="sign_in.failed")) == 5  # blocked tries are not rows
        assert s.attempts("sign_in.address:127.0.0.1", 300) == 5


def test_an_unknown_name_costs_one_argon2_verification_like_a_known_one(store):
    """The code path behind equal sign-in times (measured in benchmarks/sign_in_bench.py
    and tests/web/test_sign_in_timing.py): an unknown or disabled name is verified
    against the throw-away hash, a known one against its own."""
    app = _app(store.url)
    name = user_of(store.url, "viewer")
    accounts.check_sign_in(None, "warm")  # the throw-away hash is made once per process
    used = accounts._dummy_hash.cache_info().hits
    assert _fail(app, "nobody-by-this-name") == 401
    assert accounts._dummy_hash.cache_info().hits == used + 1
    assert _fail(app, name) == 401
    assert accounts._dummy_hash.cache_info().hits == used + 1  # its own hash, not the dummy
    _cli(store.url, "user", "disable", name)
    assert _fail(app, name) == 401
    assert accounts._dummy_hash.cache_info().hits == used + 2
