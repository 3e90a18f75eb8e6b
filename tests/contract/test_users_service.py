"""Account management (``gridmap.services.users``), on every store: what the admin's pages
and ``gridmap user`` both call."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from gridmap import access, accounts
from gridmap.cli import main
from gridmap.errors import Forbidden, InvalidInput, NotFound
from gridmap.services import sessions, users

ADMIN = access.Caller("boss", frozenset({"admin"}))


def test_an_added_user_signs_in_with_the_generated_password_which_no_row_keeps(store):
    made, password = users.add(store, ADMIN, "li", ["officer"], [" G1 ", "G1", ""], "")
    assert made.areas == ("G1",) and made.department is None
    assert accounts.check_sign_in(store.user("li"), password)
    assert password not in json.dumps(store.audit_log(limit=1000), default=str)
    with pytest.raises(InvalidInput) as refused:
        users.add(store, ADMIN, "li", ["viewer"])
    assert (refused.value.field, refused.value.code) == ("name", "user.exists")
    with pytest.raises(InvalidInput) as refused:
        users.add(store, ADMIN, "zhou", ["department"])
    assert refused.value.field == "department"
    with pytest.raises(Forbidden):
        users.add(store, access.Caller("d", frozenset({"dispatcher"})), "x", ["viewer"])


def test_the_list_shows_last_sign_ins_and_the_history_only_that_users_rows(store):
    users.add(store, ADMIN, "li", ["viewer"], password="li's long password")
    users.add(store, ADMIN, "wu", ["viewer"], password="wu's long password")
    limits = sessions.Limits()
    sessions.sign_in(store, "li", "wrong password", "10.0.0.1", "test", limits)
    done = sessions.sign_in(store, "li", "li's long password", "10.0.0.1", "test", limits)
    sessions.sign_in(store, "wu", "wu's long password", "10.0.0.2", "test", limits)
    sessions.sign_out(store, done.session)
    listed = {x.user.name: x for x in users.overview(store, ADMIN)}
    assert listed["li"].last_sign_in and listed["li"].sessions == 0
    assert listed["wu"].sessions == 1
    assert users.account(store, ADMIN, "li") == listed["li"]
    assert [r["action"] for r in users.history(store, ADMIN, "li")] == [
        "sign_out",
        "sign_in",
        "sign_in.failed",
    ]
    with pytest.raises(NotFound):
        users.history(store, ADMIN, "nobody")


def test_disable_enable_new_password_and_tokens(store):
    users.add(store, ADMIN, "li", ["viewer"])
    users.add(store, ADMIN, "wu", ["viewer"])
    made = store.add_token("li", "script", accounts.new_token()[1], "viewer")
    other = store.add_token("wu", "script", accounts.new_token()[1], "viewer")
    assert [t.id for t in users.tokens(store, ADMIN, "li")] == [made.id]
    with pytest.raises(NotFound):  # a page on li's tokens never reaches wu's
        users.revoke_token(store, ADMIN, other.id, "li")
    users.revoke_token(store, ADMIN, made.id, "li")
    with pytest.raises(InvalidInput, match="revoked already"):
        users.revoke_token(store, ADMIN, made.id, "li")
    assert not users.set_active(store, ADMIN, "li", False).active
    assert users.set_active(store, ADMIN, "li", True).active
    password = users.new_password(store, ADMIN, "wu")
    assert accounts.check_sign_in(store.user("wu"), password)
    assert store.tokens("wu")[0].revoked  # a new password ends the tokens too
    actions = [r["action"] for r in store.audit_log(limit=1000)]
    for action in ("user.add", "token.revoke", "user.change", "user.passwd", "token.revoke_all"):
        assert action in actions


def _cli(url: str, *args: str, typed: str | None = None):
    return CliRunner().invoke(main, ["--db", url, *args], input=typed)


def test_the_command_line_manages_users_through_the_same_service(store):
    out = _cli(store.url, "user", "add", "li", "--role", "officer", "--area", "G1", "--generate")
    assert out.exit_code == 0, out.output
    (password,) = re.findall(r"Password \(shown once\): (\S+)", out.output)
    typed = "a typed long password"
    out = _cli(store.url, "user", "add", "wu", "--role", "viewer", typed=f"{typed}\n{typed}\n")
    assert out.exit_code == 0 and "shown once" not in out.output
    limits = sessions.Limits()
    assert sessions.sign_in(store, "li", password, "10.0.0.1", "cli test", limits).session
    assert sessions.sign_in(store, "wu", typed, "10.0.0.1", "cli test", limits).session
    listed = _cli(store.url, "user", "list").output
    assert re.search(r"^li\s+officer\s+areas G1\s+last sign-in 20", listed, re.M), listed
    assert "sign_in" in _cli(store.url, "user", "history", "li").output
    assert _cli(store.url, "user", "disable", "li").exit_code == 0
    assert not store.user("li").active
    assert _cli(store.url, "user", "enable", "li").exit_code == 0 and store.user("li").active
    assert _cli(store.url, "user", "history", "nobody").exit_code != 0
    assert _cli(store.url, "user", "revoke", "999").exit_code != 0
