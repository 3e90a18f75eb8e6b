"""Browser sessions, token expiry and the counts behind rate limits, on every store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from gridmap import access, accounts
from gridmap.errors import Forbidden
from gridmap.services import sessions
from gridmap.stores import schema as s

HOUR, DAY = 3600, 86400


@pytest.fixture()
def li(store):
    store.add_user("li", accounts.hash_password("long enough password"), ["viewer", "planner"])
    return store


def _started(store, name="li", agent="Firefox", address="203.0.113.7") -> str:
    _, digest = accounts.new_session()
    store.add_session(name, digest, agent, address)
    return digest


def _backdate(store, digest: str, **seconds_ago) -> None:
    """Move a session's times into the past (what waiting would do)."""
    now = datetime.now(timezone.utc)
    values = {k: s.timestamp_text(now - timedelta(seconds=v)) for k, v in seconds_ago.items()}
    with store.transaction():
        store._run(sa.update(s.sessions).where(s.sessions.c.digest == digest).values(**values))


def test_a_session_lives_in_the_store_until_it_is_ended(li):
    digest = _started(li)
    assert li.session_user(digest, HOUR, DAY).name == "li"
    (row,) = li.sessions("li")
    assert (row["user"], row["agent"], row["address"]) == ("li", "Firefox", "203.0.113.7")
    assert "digest" not in row
    li.end_session(digest)
    assert li.session_user(digest, HOUR, DAY) is None and li.sessions() == []
    li.end_session(digest)  # ended already: nothing happens, nothing is recorded
    assert [r["action"] for r in li.audit_log(action="sign")] == ["sign_out", "sign_in"]


def test_sessions_end_when_idle_or_too_old_and_say_why(li):
    idle, old, fresh = _started(li), _started(li), _started(li)
    _backdate(li, idle, seen=2 * HOUR)
    _backdate(li, old, created=2 * DAY, seen=10)
    assert li.session_user(idle, HOUR, DAY) is None
    assert li.session_user(old, HOUR, DAY) is None
    assert li.session_user(fresh, HOUR, DAY) is not None
    assert len(li.sessions("li")) == 1  # the ended ones are gone from the store
    reasons = [r["after"]["reason"] for r in li.audit_log(action="session.end")]
    assert reasons == ["lifetime", "idle"]


def test_last_seen_is_written_at_most_once_a_minute(li):
    digest = _started(li)
    _backdate(li, digest, seen=30)
    before = li.sessions("li")[0]["seen"]
    li.session_user(digest, HOUR, DAY)
    assert li.sessions("li")[0]["seen"] == before
    _backdate(li, digest, seen=90)
    stale = li.sessions("li")[0]["seen"]
    li.session_user(digest, HOUR, DAY)
    assert li.sessions("li")[0]["seen"] > stale


def test_a_new_password_ends_every_other_session_and_the_tokens_unless_kept(li):
    mine, other = _started(li), _started(li, agent="Chrome")
    _, kept_digest = accounts.new_token()
    li.add_token("li", "batch", kept_digest, "planner")
    li.update_user(
        "li", password_hash=accounts.hash_password("a new long password"), keep_session=mine
    )
    assert li.session_user(mine, HOUR, DAY) is not None
    assert li.session_user(other, HOUR, DAY) is None
    assert li.token_user(kept_digest) is None and li.tokens("li")[0].revoked
    _, digest = accounts.new_token()
    li.add_token("li", "kept", digest, "planner")
    li.update_user(
        "li", password_hash=accounts.hash_password("third long password"), keep_tokens=True
    )
    assert li.token_user(digest) is not None  # kept, as asked
    assert li.session_user(mine, HOUR, DAY) is None  # no session named to keep: all end
    actions = [r["action"] for r in li.audit_log()]
    assert actions[:3] == ["session.end", "user.passwd", "token.add"]
    assert "token.revoke_all" in actions


def test_disabling_a_user_ends_their_sessions(li):
    digest = _started(li)
    li.update_user("li", active=False)
    assert li.sessions("li") == [] and li.session_user(digest, HOUR, DAY) is None
    assert li.audit_log(action="session.end")[0]["after"] == {"reason": "disabled", "sessions": 1}


def test_an_admin_signs_a_user_out_everywhere(li):
    digests = [_started(li), _started(li)]
    _, token_digest = accounts.new_token()
    li.add_token("li", "batch", token_digest, "planner")
    viewer = access.Caller("wang", frozenset({access.VIEWER}))
    with pytest.raises(Forbidden):
        sessions.sign_out_everywhere(li, viewer, "li")
    assert len(li.sessions("li")) == 2
    li.actor = "cli:root"
    assert sessions.sign_out_everywhere(li, access.SYSTEM, "li") == (2, 0)
    assert all(li.session_user(d, HOUR, DAY) is None for d in digests)
    assert li.token_user(token_digest) is not None  # tokens only when asked
    assert sessions.sign_out_everywhere(li, access.SYSTEM, "li", tokens=True) == (0, 1)
    assert li.token_user(token_digest) is None
    (last, first) = li.audit_log(action="user.sign_out_everywhere")
    assert (first["actor"], first["target"], first["after"]) == (
        "cli:root",
        "li",
        {"sessions": 2, "tokens": 0},
    )
    assert last["after"] == {"sessions": 0, "tokens": 1}


def test_a_token_expires(li):
    token, digest = accounts.new_token()
    soon = datetime.now(timezone.utc) + timedelta(days=30)
    made = li.add_token("li", "for a month", digest, "planner", expires=soon)
    assert made.expires == s.timestamp_text(soon)
    assert li.token_user(accounts.token_digest(token))[0].name == "li"
    with li.transaction():
        past = s.timestamp_text(datetime.now(timezone.utc) - timedelta(seconds=1))
        li._run(sa.update(s.tokens).where(s.tokens.c.id == made.id).values(expires=past))
    assert li.token_user(digest) is None
    assert li.audit_log(action="token.add")[0]["after"]["expires"] == made.expires


def test_attempts_are_counted_per_name_within_a_limit(store):
    assert [store.count_attempts("photos:li", HOUR, 2, limit=5) for _ in range(3)] == [
        True,
        True,
        False,  # 2 + 2 + 2 would pass 5
    ]
    assert store.count_attempts("photos:li", HOUR, 1, limit=5)
    assert store.attempts("photos:li", HOUR) == 5 and store.attempts("photos:wang", HOUR) == 0
    assert store.count_attempts("sign_in.name:li", 300)  # no limit: always counted
    assert store.attempts("sign_in.name:li", 300) == 1


def test_counts_no_window_needs_are_deleted(store):
    old = datetime.now(timezone.utc) - timedelta(days=1)
    with store.transaction():
        store._run(
            sa.insert(s.attempts).values(
                name="sign_in.name:li",
                window_start=s.timestamp_text(old),
                expires=s.timestamp_text(old + timedelta(seconds=600)),
                n=3,
            )
        )
    assert store.attempts("sign_in.name:li", 300) == 0  # a day old: outside every window
    store.count_attempts("sign_in.name:wang", 300)
    rows = store._run(sa.select(s.attempts.c.name)).scalars().all()
    assert rows == ["sign_in.name:wang"]
