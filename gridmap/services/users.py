"""Managing accounts, for an admin in the browser and the operator on the command line
alike: the users with their roles, areas, department, state and last sign-in; adding a
user, disabling and enabling one, a new password, their API tokens, their sign-in
history.  Every change is audited by the store in the change's own transaction.

Passwords an admin hands out are generated (never typed by the admin, never a fixed
default): the caller shows the one returned once and keeps it nowhere; the store keeps
only its argon2 hash, and the audit never sees it.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridmap import access, accounts
from gridmap.accounts import Token, User
from gridmap.errors import InvalidInput, NotFound, say

if TYPE_CHECKING:
    from gridmap.stores.protocols import PeopleStore, Store

#: the audit rows that make up a user's sign-in history
SIGN_IN_ACTIONS = ("sign_in", "sign_in.failed", "sign_out", "session.end")
HISTORY = 200  # rows of a user's sign-in history shown


@dataclass(frozen=True)
class Account:
    """A user as the list shows them."""

    user: User
    last_sign_in: str | None
    sessions: int


def overview(store: PeopleStore, caller: access.Caller) -> list[Account]:
    """Every user, with when they last signed in and how many sessions are live."""
    access.require(caller, access.USERS_MANAGE)
    live: dict[str, int] = {}
    for x in store.sessions():
        live[x["user"]] = live.get(x["user"], 0) + 1
    last = store.last_sign_ins()
    return [Account(u, last.get(u.name), live.get(u.name, 0)) for u in store.users()]


def account(store: PeopleStore, caller: access.Caller, name: str) -> Account:
    """One user, with when they last signed in and how many sessions are live."""
    access.require(caller, access.USERS_MANAGE)
    user = store.user(name)
    return Account(user, store.last_sign_ins().get(name), len(store.sessions(name)))


def add(
    store: Store,
    caller: access.Caller,
    name: str,
    roles: Sequence[str],
    areas: Sequence[str] = (),
    department: str | None = None,
    password: str | None = None,
) -> tuple[User, str]:
    """Add a user; the password (``password``, or a generated one) to hand over once."""
    access.require(caller, access.USERS_MANAGE)
    password = accounts.new_password() if password is None else password
    areas = _known_areas(store, tuple(dict.fromkeys(a.strip() for a in areas if a.strip())))
    made = store.add_user(name, accounts.hash_password(password), roles, areas, department or None)
    return made, password


def _known_areas(store: Store, areas: tuple[str, ...]) -> tuple[str, ...]:
    """``areas`` when each is a grid's code or the start of one (a community, a street:
    an officer covers the grids inside); a mistyped code would leave the officer with no
    cases at all, and nobody told.  Unchecked before the city's grids are imported."""
    if not areas or "grid" not in {x.name for x in store.layers()}:
        return areas
    grids = sorted(store.area_names("grid"))
    for area in areas:
        at = bisect.bisect_left(grids, area)
        if at == len(grids) or not grids[at].startswith(area):
            raise InvalidInput(
                say("area {area!r}: no grid's code is or starts with it", area=area),
                field="areas",
                code="user.area",
                values={"area": area},
            )
    return areas


def set_active(store: PeopleStore, caller: access.Caller, name: str, active: bool) -> User:
    """Enable or disable ``name``; disabling ends their sessions, and their tokens stop
    working (a token acts only for an active user)."""
    access.require(caller, access.USERS_MANAGE)
    return store.update_user(name, active=active)


def new_password(
    store: PeopleStore,
    caller: access.Caller,
    name: str,
    password: str | None = None,
    keep_tokens: bool = False,
) -> str:
    """Set a new password (``password``, or a generated one, returned to hand over once):
    every session of the user ends, and their tokens unless ``keep_tokens``."""
    access.require(caller, access.USERS_MANAGE)
    store.user(name)  # an unknown user is named before anything is hashed
    password = accounts.new_password() if password is None else password
    store.update_user(name, password_hash=accounts.hash_password(password), keep_tokens=keep_tokens)
    return password


def tokens(store: PeopleStore, caller: access.Caller, name: str) -> list[Token]:
    access.require(caller, access.USERS_MANAGE)
    store.user(name)
    return store.tokens(name)


def revoke_token(
    store: PeopleStore, caller: access.Caller, token_id: int, name: str | None = None
) -> Token:
    """Revoke a token (of user ``name``, when given: a page acting on one user's tokens
    never reaches another's)."""
    access.require(caller, access.USERS_MANAGE)
    found = store.tokens(name, token_id)
    if not found:
        raise NotFound(
            say(
                "no token {token_id}{of_user}",
                token_id=token_id,
                of_user=say(" of user {name!r}", name=name) if name else "",
            )
        )
    if found[0].revoked:
        raise InvalidInput(
            say("token {token_id} is revoked already", token_id=token_id),
            field="token",
            code="token.revoked",
            values={"token": token_id},
        )
    store.revoke_token(token_id)
    return found[0]


def history(store: PeopleStore, caller: access.Caller, name: str) -> list[dict]:
    """The user's sign-ins, failed sign-ins, sign-outs and ended sessions, newest first."""
    access.require(caller, access.USERS_MANAGE)
    store.user(name)
    rows = store.audit_log(target=name, limit=HISTORY * 4)
    return [r for r in rows if r["action"] in SIGN_IN_ACTIONS][:HISTORY]
