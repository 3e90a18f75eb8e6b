"""Users, their API tokens and the audit trail, written once for every database (a part
of :class:`~gridmap.stores.sql.SQLStore`).

Each change of a user or token writes its audit row in the same transaction; so do the
store's other changes that callers name (imports, publishes, plans): ``record`` joins the
transaction it is called in, so a change that fails leaves no row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from gridmap.accounts import Token, User, check_name, check_roles
from gridmap.errors import InvalidInput, NotFound
from gridmap.stores import schema as s


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
    ) -> list[dict]:
        """Audit rows, newest first; ``action`` matches a prefix (``user`` → user.add…)."""
        t = s.audit
        statement = sa.select(t).order_by(t.c.id.desc()).limit(limit)
        if since is not None:
            statement = statement.where(t.c.at >= since.strftime("%Y-%m-%dT%H:%M:%S"))
        if actor:
            statement = statement.where(t.c.actor == actor)
        if action:
            statement = statement.where(t.c.action.startswith(action, autoescape=True))
        return [dict(r._mapping) for r in self._run(statement)]

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
            raise InvalidInput("a department user needs its department", field="department")
        t = s.users
        with self.transaction():
            if self._run(sa.select(t.c.id).where(t.c.name == name)).first():
                raise InvalidInput(f"user {name!r} exists already", field="name")
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
            raise NotFound(f"no user {name!r}")
        return _user(row)

    def users(self) -> list[User]:
        return [_user(r) for r in self._run(sa.select(s.users).order_by(s.users.c.name))]

    def update_user(self, name: str, **changes) -> User:
        """Change ``password_hash``, ``roles``, ``areas``, ``department`` or ``active``."""
        allowed = {"password_hash", "roles", "areas", "department", "active"}
        if set(changes) - allowed:
            raise InvalidInput(f"cannot change {sorted(set(changes) - allowed)}", field="user")
        if "roles" in changes:
            changes["roles"] = list(check_roles(changes["roles"]))
        t = s.users
        with self.transaction():
            before = self.user(name)
            self._run(sa.update(t).where(t.c.name == name).values(**changes))
            after = self.user(name)
            what = "user.passwd" if set(changes) == {"password_hash"} else "user.change"
            self.record(what, name, before=_public(before), after=_public(after))
        return after

    # -- tokens -------------------------------------------------------------------------

    def add_token(self, user: str, name: str, digest: str, role: str) -> Token:
        owner = self.user(user)
        (role,) = check_roles([role])
        if role not in owner.roles:
            raise InvalidInput(
                f"user {user!r} does not hold the role {role!r} (holds {', '.join(owner.roles)})",
                field="role",
            )
        t = s.tokens
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
                )
                .returning(t.c.id)
            ).scalar_one()
            self.record("token.add", f"{user}/{name}", after={"id": token_id, "role": role})
        return self.tokens(user, token_id)[0]

    def tokens(self, user: str | None = None, token_id: int | None = None) -> list[Token]:
        t, u = s.tokens, s.users
        statement = (
            sa.select(t.c.id, u.c.name, t.c.name, t.c.role, t.c.created, t.c.revoked)
            .join(u, u.c.id == t.c.user_id)
            .order_by(t.c.id)
        )
        if user is not None:
            statement = statement.where(u.c.name == user)
        if token_id is not None:
            statement = statement.where(t.c.id == token_id)
        return [Token(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in self._run(statement)]

    def revoke_token(self, token_id: int) -> None:
        t = s.tokens
        with self.transaction():
            found = self.tokens(token_id=token_id)
            if not found:
                raise NotFound(f"no token {token_id}")
            self._run(sa.update(t).where(t.c.id == token_id).values(revoked=True))
            self.record("token.revoke", f"{found[0].user}/{found[0].name}")

    def token_user(self, digest: str) -> tuple[User, str] | None:
        """The active user a token digest belongs to, and the token's role."""
        t, u = s.tokens, s.users
        row = self._run(
            sa.select(u, t.c.role)
            .join(t, t.c.user_id == u.c.id)
            .where(t.c.digest == digest, sa.not_(t.c.revoked), u.c.active)
        ).first()
        return None if row is None else (_user(row), row._mapping["role"])


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
