"""People who sign in, machines that call with a token, and the roles they hold.

Roles (docs/roles.md): ``admin`` (users, settings, imports, publish
and activate), ``planner`` (plans; publishes only when also admin), ``dispatcher`` (the
command centre: every incident), ``department`` (a department's handlers: what is routed
to it), ``officer`` (grid officers: their own grids), ``leader`` (the board and
statistics, no personal data), ``viewer`` (maps without personal data); what each may see
and do is ``gridmap.access``.  A user may hold several roles, tied to the areas (codes) or
the department the roles cover.

Passwords are hashed with argon2 (argon2-cffi's defaults, RFC 9106's second recommended
profile); tokens are random and stored only as their SHA-256 (a token has 256 bits of
entropy: a slow hash adds nothing there, and each API call checks one).

>>> verify_password(hash_password("correct horse"), "correct horse")
True
>>> verify_password(hash_password("correct horse"), "wrong")
False
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gridmap.access import ROLES
from gridmap.errors import InvalidInput, say

USER_NAME_MAX = 64
MIN_PASSWORD = 10

_HASHER = PasswordHasher()


@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[str, ...]
    areas: tuple[str, ...] = ()  # area codes an officer's roles cover (their grids)
    department: str | None = None  # the department a department role works for
    active: bool = True
    id: int | None = None
    password_hash: str = field(default="", repr=False)


@dataclass(frozen=True)
class Token:
    id: int
    user: str
    name: str
    role: str
    created: str
    revoked: bool
    expires: str | None = None  # None: until revoked


def check_roles(roles) -> tuple[str, ...]:
    roles = tuple(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise InvalidInput(
            say(
                "role {unknown!r}: expected one or more of {roles}",
                unknown=unknown[0] if unknown else say("(none)"),
                roles=", ".join(ROLES),
            ),
            field="role",
            code="user.role",
        )
    return roles


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > USER_NAME_MAX or any(c.isspace() for c in name):
        raise InvalidInput(
            say(
                "user name {name!r}: expected 1-{user_name_max} characters without spaces",
                name=name,
                user_name_max=USER_NAME_MAX,
            ),
            field="name",
            code="user.name",
            values={"max": USER_NAME_MAX},
        )
    return name


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            say(
                "the password has {password_count} characters; at least {min_password} are needed",
                password_count=len(password),
                min_password=MIN_PASSWORD,
            ),
            field="password",
        )
    return _HASHER.hash(password)


def verify_password(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    # Made once per process, with the same parameters as every real hash: verifying it
    # costs what verifying a real one costs.
    return _HASHER.hash(secrets.token_urlsafe(16))


def check_sign_in(user: User | None, password: str) -> bool:
    """Whether ``password`` signs ``user`` in (None: no such user).  Exactly one argon2
    verification runs whatever the answer, against a throw-away hash when there is no
    active user, so that a sign-in takes as long for a name that does not exist as for
    one that does (names cannot be told apart by timing)."""
    if user is None or not user.active:
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(user.password_hash, password)


def new_password() -> str:
    """A generated password (shown once; never a fixed default)."""
    return secrets.token_urlsafe(12)


def new_token() -> tuple[str, str]:
    """A new API token and the digest the store keeps of it."""
    token = "gm_" + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session() -> tuple[str, str]:
    """A new session id (what the browser's cookie carries) and the digest the store
    keeps of it (a copy of the store does not hand out live sessions)."""
    session = secrets.token_urlsafe(32)
    return session, token_digest(session)
