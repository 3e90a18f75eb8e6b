"""Signing in and out: browser sessions kept in the store, and the attempt limits that
guard the sign-in, counted in the store so that every worker and host counts together.

- :func:`sign_in`: refused while the name, or the address, has had too many failed
  attempts lately (per name across addresses: one password sprayed over many addresses
  at one account; per address across names: one password sprayed over many names); one
  argon2 verification whatever the name (``accounts.check_sign_in``); a new session whose
  id only the browser holds.  Sign-ins and failures are audited.
- :func:`sign_out_everywhere`: an admin ends every session of a user (and, when asked,
  their tokens), audited.

The limits count failures only: a user who signs in on several devices is never blocked
by their own successes.  A blocked attempt is answered without counting or auditing it
(an attacker hammering a blocked name would otherwise write a row per request).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridmap import access, accounts
from gridmap.accounts import User
from gridmap.errors import NotFound

if TYPE_CHECKING:
    from gridmap.stores.protocols import PeopleStore

BLOCKED, FAILED = "blocked", "failed"


@dataclass(frozen=True)
class Limits:
    """Failed sign-ins allowed in any span of ``seconds``: per name (from any address)
    and per address (for any name)."""

    per_name: int = 5
    per_address: int = 20
    seconds: int = 300


@dataclass(frozen=True)
class SignIn:
    """A sign-in's outcome: the user and the session id for the browser's cookie, or
    why not (``BLOCKED``, ``FAILED``)."""

    user: User | None = None
    session: str | None = None
    refused: str | None = None


def address_key(address: str) -> str:
    """What the per-address limit counts by: the address, and for IPv6 its /64 (one
    subscriber's whole block: counting single addresses there would count nothing).

    >>> address_key("2001:db8:1:2:3:4:5:6"), address_key("203.0.113.7")
    ('2001:db8:1:2::/64', '203.0.113.7')
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def sign_in(
    store: PeopleStore, name: str, password: str, address: str, agent: str, limits: Limits
) -> SignIn:
    """Sign ``name`` in from ``address`` (``agent``: the browser's User-Agent)."""
    by_name, by_address = f"sign_in.name:{name}", f"sign_in.address:{address_key(address)}"
    if (
        store.attempts(by_name, limits.seconds) >= limits.per_name
        or store.attempts(by_address, limits.seconds) >= limits.per_address
    ):
        return SignIn(refused=BLOCKED)
    try:
        user = store.user(name)
    except NotFound:
        user = None
    if not accounts.check_sign_in(user, password):
        store.actor = "web:anonymous"
        with store.transaction():
            store.count_attempts(by_name, limits.seconds)
            store.count_attempts(by_address, limits.seconds)
            store.record("sign_in.failed", name, after={"address": address})
        return SignIn(refused=FAILED)
    session, digest = accounts.new_session()
    store.actor = f"web:{name}"
    store.add_session(name, digest, agent, address)
    return SignIn(user, session)


def sign_out(store: PeopleStore, session: str) -> None:
    """End the session whose id a browser's cookie carries (audited as a sign-out)."""
    store.end_session(accounts.token_digest(session))


def session_user(store: PeopleStore, session: str, idle: float, lifetime: float) -> User | None:
    """The user of a live session (None: ended, expired, or never was)."""
    return store.session_user(accounts.token_digest(session), idle, lifetime)


def sign_out_everywhere(
    store: PeopleStore, caller: access.Caller, name: str, tokens: bool = False
) -> tuple[int, int]:
    """End every session of user ``name`` (and revoke their tokens when ``tokens``):
    what an admin does when an account may be in someone else's hands.  How many
    sessions and tokens ended."""
    access.require(caller, access.USERS_MANAGE)
    with store.transaction():
        sessions = store.end_sessions(name, "everywhere")
        revoked = store.revoke_tokens(name, "everywhere") if tokens else 0
        store.record(
            "user.sign_out_everywhere", name, after={"sessions": sessions, "tokens": revoked}
        )
    return sessions, revoked
