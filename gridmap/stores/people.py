"""Users, their API tokens and the audit trail, written once for every database (a part
of :class:`~gridmap.stores.sql.SQLStore`).

Each change of a user or token writes its audit row in the same transaction; so do the
store's other changes that callers name (imports, publishes, plans): ``record`` joins the
transaction it is called in, so a change that fails leaves no row.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from gridmap.accounts import Token, User, check_name, check_roles
from gridmap.errors import InvalidInput, NotFound, say
from gridmap.stores import schema as s

AGENT_MAX = 300  # the part of a browser's User-Agent a session keeps
TOUCH = 60  # seconds: how stale a session's last-seen time may be


class People:
    #: who the store's changes are recorded as (the CLI: "cli:<login>"; the web app: the
    #: signed-in user)
    actor: str = "system"

    # -- the audit trail ----------------------------------------------------------------

    def record(
        self,
        action: str,
        target: str | int = "",
        before: dict | None = None,
        after: dict | None = None,
    ) -> None:
        """An audit row for a change made in the current transaction."""
        with self.transaction():
            self._run(
                sa.insert(s.audit).values(
                    at=s.now_text(),
                    actor=self.actor,
                    action=action,
                    target=str(target),
                    before=before,
                    after=after,
                )
            )

    def _record_many(self, rows: list[tuple[str, str | int, dict]]) -> None:
        """Audit rows (action, target, before/after) for many changes of the current
        transaction, in one statement."""
        at = s.now_text()
        with self.transaction():
            self._run(
                sa.insert(s.audit),
                [
                    {
                        "at": at,
                        "actor": self.actor,
                        "action": action,
                        "target": str(target),
                        "before": change.get("before"),
                        "after": change.get("after"),
                    }
                    for action, target, change in rows
                ],
            )

    def audit_log(
        self,
        since: datetime | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int = 200,
        target: str | None = None,
    ) -> list[dict]:
        """Audit rows, newest first; ``action`` matches a prefix (``user`` → user.add…),
        ``target`` exactly (a user's name: their sign-ins and changes)."""
        t = s.audit
        statement = sa.select(t).order_by(t.c.id.desc()).limit(limit)
        if target is not None:
            statement = statement.where(t.c.target == target)
        if since is not None:
            statement = statement.where(t.c.at >= since.strftime("%Y-%m-%dT%H:%M:%S"))
        if actor:
            statement = statement.where(t.c.actor == actor)
        if action:
            statement = statement.where(t.c.action.startswith(action, autoescape=True))
        return [dict(r._mapping) for r in self._run(statement)]

    def last_sign_ins(self) -> dict[str, str]:
        """When each user last signed in (the newest ``sign_in`` audit row), by name."""
        t = s.audit
        rows = self._run(
            sa.select(t.c.target, sa.func.max(t.c.at))
            .where(t.c.action == "sign_in")
            .group_by(t.c.target)
        )
        return {r[0]: r[1] for r in rows}

    # -- users --------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        password_hash: str,
        roles: Sequence[str],
        areas: Sequence[str] = (),
        department: str | None = None,
    ) -> User:
        name, roles = check_name(name), check_roles(roles)
        if "department" in roles and not department:
            raise InvalidInput(
                say("a department user needs its department"),
                field="department",
                code="user.department",
            )
        t = s.users
        with self.transaction():
            if self._run(sa.select(t.c.id).where(t.c.name == name)).first():
                raise InvalidInput(
                    say("user {name!r} exists already", name=name),
                    field="name",
                    code="user.exists",
                    values={"name": name},
                )
            self._run(
                sa.insert(t).values(
                    name=name,
                    password_hash=password_hash,
                    roles=list(roles),
                    areas=list(areas),
                    department=department,
                    active=True,
                    created=s.now_text(),
                )
            )
            user = self.user(name)
            self.record("user.add", name, after=_public(user))
        return user

    def user(self, name: str) -> User:
        t = s.users
        row = self._run(sa.select(t).where(t.c.name == name)).first()
        if row is None:
            raise NotFound(say("no user {name!r}", name=name))
        return _user(row)

    def users(self) -> list[User]:
        return [_user(r) for r in self._run(sa.select(s.users).order_by(s.users.c.name))]

    def update_user(
        self,
        name: str,
        *,
        keep_session: str | None = None,
        keep_tokens: bool = False,
        **changes,
    ) -> User:
        """Change ``password_hash``, ``roles``, ``areas``, ``department`` or ``active``.

        A new password ends every session of the user (but ``keep_session``, the digest
        of the one that changed it) and revokes their tokens unless ``keep_tokens``;
        disabling a user ends all their sessions.  In the same transaction: a copied
        cookie or token is dead the moment the change is committed."""
        allowed = {"password_hash", "roles", "areas", "department", "active"}
        if set(changes) - allowed:
            raise InvalidInput(
                say("cannot change {changes}", changes=sorted(set(changes) - allowed)), field="user"
            )
        if "roles" in changes:
            changes["roles"] = list(check_roles(changes["roles"]))
        t = s.users
        with self.transaction():
            before = self.user(name)
            self._run(sa.update(t).where(t.c.name == name).values(**changes))
            after = self.user(name)
            what = "user.passwd" if set(changes) == {"password_hash"} else "user.change"
            self.record(what, name, before=_public(before), after=_public(after))
            if "password_hash" in changes:
                self.end_sessions(name, "password", keep=keep_session)
                if not keep_tokens:
                    self.revoke_tokens(name, "password")
            if before.active and not after.active:
                self.end_sessions(name, "disabled")
        return after

    # -- tokens -------------------------------------------------------------------------

    def add_token(
        self, user: str, name: str, digest: str, role: str, expires: datetime | None = None
    ) -> Token:
        """A token of ``user`` acting with ``role``, valid until revoked or ``expires``
        (an aware instant)."""
        owner = self.user(user)
        (role,) = check_roles([role])
        if role not in owner.roles:
            raise InvalidInput(
                say(
                    "user {user!r} does not hold the role {role!r} (holds {roles})",
                    user=user,
                    role=role,
                    roles=", ".join(owner.roles),
                ),
                field="role",
            )
        t = s.tokens
        until = None if expires is None else s.timestamp_text(expires)
        with self.transaction():
            token_id = self._run(
                sa.insert(t)
                .values(
                    user_id=owner.id,
                    name=name,
                    digest=digest,
                    role=role,
                    created=s.now_text(),
                    revoked=False,
                    expires=until,
                )
                .returning(t.c.id)
            ).scalar_one()
            after = {"id": token_id, "role": role, "expires": until}
            self.record("token.add", f"{user}/{name}", after=after)
        return self.tokens(user, token_id)[0]

    def tokens(self, user: str | None = None, token_id: int | None = None) -> list[Token]:
        t, u = s.tokens, s.users
        statement = (
            sa.select(t.c.id, u.c.name, t.c.name, t.c.role, t.c.created, t.c.revoked, t.c.expires)
            .join(u, u.c.id == t.c.user_id)
            .order_by(t.c.id)
        )
        if user is not None:
            statement = statement.where(u.c.name == user)
        if token_id is not None:
            statement = statement.where(t.c.id == token_id)
        return [Token(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in self._run(statement)]

    def revoke_token(self, token_id: int) -> None:
        t = s.tokens
        with self.transaction():
            found = self.tokens(token_id=token_id)
            if not found:
                raise NotFound(say("no token {token_id}", token_id=token_id))
            self._run(sa.update(t).where(t.c.id == token_id).values(revoked=True))
            self.record("token.revoke", f"{found[0].user}/{found[0].name}")

    def revoke_tokens(self, user: str, reason: str) -> int:
        """Revoke every live token of ``user``; how many."""
        owner = self.user(user)
        t = s.tokens
        live = sa.and_(t.c.user_id == owner.id, sa.not_(t.c.revoked))
        with self.transaction():
            done = self._run(sa.update(t).where(live).values(revoked=True)).rowcount
            if done:
                self.record("token.revoke_all", user, after={"reason": reason, "tokens": done})
        return done

    def token_user(self, digest: str) -> tuple[User, str] | None:
        """The active user a live token digest belongs to (neither revoked nor expired),
        and the token's role."""
        t, u = s.tokens, s.users
        row = self._run(
            sa.select(u, t.c.role)
            .join(t, t.c.user_id == u.c.id)
            .where(
                t.c.digest == digest,
                sa.not_(t.c.revoked),
                u.c.active,
                sa.or_(t.c.expires.is_(None), t.c.expires > s.now_text()),
            )
        ).first()
        return None if row is None else (_user(row), row._mapping["role"])

    # -- sessions -----------------------------------------------------------------------

    def add_session(self, user: str, digest: str, agent: str = "", address: str = "") -> None:
        """A browser signed in as ``user`` (``digest``: of the id its cookie carries);
        audited as the sign-in."""
        owner = self.user(user)
        now = s.now_text()
        with self.transaction():
            self._run(
                sa.insert(s.sessions).values(
                    digest=digest,
                    user_id=owner.id,
                    created=now,
                    seen=now,
                    agent=agent[:AGENT_MAX],
                    address=address,
                )
            )
            self.record("sign_in", user, after={"address": address, "agent": agent[:AGENT_MAX]})

    def session_user(self, digest: str, idle: float, lifetime: float) -> User | None:
        """The active user of the session ``digest``, when it was seen in the last
        ``idle`` seconds and began in the last ``lifetime``; a session past either, or of
        a disabled user, is ended (audited) and None.  The last-seen time is written at
        most once a minute (``TOUCH``): a write per request would queue every request of
        a GeoPackage store behind its one writer."""
        t, u = s.sessions, s.users
        row = self._run(
            sa.select(u, t.c.id.label("session_id"), t.c.created.label("began"), t.c.seen)
            .join(t, t.c.user_id == u.c.id)
            .where(t.c.digest == digest)
        ).first()
        if row is None:
            return None
        m, now = row._mapping, datetime.now(timezone.utc)

        def before(seconds: float) -> str:  # timestamps of both stores compare as text
            return s.timestamp_text(now - timedelta(seconds=seconds))

        why = None
        if not m["active"]:
            why = "disabled"
        elif m["seen"] < before(idle):
            why = "idle"
        elif m["began"] < before(lifetime):
            why = "lifetime"
        if why is not None:
            with self.transaction():
                self._end(t.c.id == m["session_id"], m["name"], why)
            return None
        if m["seen"] < before(TOUCH):
            with self.transaction():
                seen = s.timestamp_text(now)
                self._run(sa.update(t).where(t.c.id == m["session_id"]).values(seen=seen))
        return _user(row)

    def end_session(self, digest: str, reason: str = "sign_out") -> None:
        """End one session (its browser signed out); nothing when it has ended already."""
        t, u = s.sessions, s.users
        with self.transaction():
            name = self._run(
                sa.select(u.c.name).join(t, t.c.user_id == u.c.id).where(t.c.digest == digest)
            ).scalar_one_or_none()
            if name is not None:
                self._end(t.c.digest == digest, name, reason)

    def end_sessions(self, user: str, reason: str, keep: str | None = None) -> int:
        """End every session of ``user`` (but the one of digest ``keep``): signed out
        everywhere, a new password, disabled.  How many ended."""
        owner = self.user(user)
        t = s.sessions
        which = t.c.user_id == owner.id
        if keep is not None:
            which = sa.and_(which, t.c.digest != keep)
        with self.transaction():
            return self._end(which, user, reason)

    def _end(self, which, user: str, reason: str) -> int:
        done = self._run(sa.delete(s.sessions).where(which)).rowcount
        if done:
            action = "sign_out" if reason == "sign_out" else "session.end"
            self.record(action, user, after={"reason": reason, "sessions": done})
        return done

    def sessions(self, user: str | None = None) -> list[dict]:
        """Live sessions (of ``user``), oldest first: id, user, created, seen, agent,
        address (never the digest)."""
        t, u = s.sessions, s.users
        statement = (
            sa.select(t.c.id, u.c.name.label("user"), t.c.created, t.c.seen, t.c.agent, t.c.address)
            .join(u, u.c.id == t.c.user_id)
            .order_by(t.c.id)
        )
        if user is not None:
            statement = statement.where(u.c.name == user)
        return [dict(r._mapping) for r in self._run(statement)]

    # -- counts for rate limits ---------------------------------------------------------

    def attempts(self, name: str, seconds: int) -> int:
        """What was counted for ``name`` in this window of ``seconds`` and the one before
        (so a limit checked against it holds over any span of ``seconds``)."""
        current, previous, _ = _windows(seconds)
        t = s.attempts
        total = sa.select(sa.func.coalesce(sa.func.sum(t.c.n), 0)).where(
            t.c.name == name, t.c.window_start.in_([current, previous])
        )
        return int(self._run(total).scalar_one())

    def count_attempts(self, name: str, seconds: int, n: int = 1, limit: int | None = None) -> bool:
        """Count ``n`` for ``name`` in the current window of ``seconds``; with ``limit``,
        only when ``attempts`` would stay within it.  Whether it counted.  One statement
        decides, so concurrent callers in every process and host count together; rows
        no window needs any more are deleted on the way."""
        current, previous, expires = _windows(seconds)
        t = s.attempts
        with self.transaction():
            self._run(sa.delete(t).where(t.c.expires < s.now_text()))
            self._run(
                sa.text(
                    "INSERT INTO attempts (name, window_start, expires, n) "
                    "VALUES (:name, :start, :expires, 0) "
                    "ON CONFLICT (name, window_start) DO NOTHING"
                ),
                {"name": name, "start": current, "expires": expires},
            )
            row = sa.and_(t.c.name == name, t.c.window_start == current)
            if limit is not None:
                before = t.alias("before")
                earlier = (
                    sa.select(sa.func.coalesce(sa.func.sum(before.c.n), 0))
                    .where(before.c.name == name, before.c.window_start == previous)
                    .scalar_subquery()
                )
                row = sa.and_(row, t.c.n + n + earlier <= limit)
            return self._run(sa.update(t).where(row).values(n=t.c.n + n)).rowcount == 1


def _windows(seconds: int) -> tuple[str, str, str]:
    """The start of the current window of ``seconds``, of the one before it, and when a
    row of the current one may go (once no ``attempts`` can read it)."""
    now = int(time.time())
    start = now - now % seconds

    def at(epoch: int) -> str:
        return s.timestamp_text(datetime.fromtimestamp(epoch, timezone.utc))

    return at(start), at(start - seconds), at(start + 2 * seconds)


def _user(row) -> User:
    m = row._mapping
    return User(
        name=m["name"],
        roles=tuple(m["roles"]),
        areas=tuple(m["areas"]),
        department=m["department"],
        active=bool(m["active"]),
        id=m["id"],
        password_hash=m["password_hash"],
    )


def _public(user: User) -> dict:
    """What the audit keeps of a user (never the password's hash)."""
    return {
        "roles": list(user.roles),
        "areas": list(user.areas),
        "department": user.department,
        "active": user.active,
    }
