"""The scheduler's records, written once for every database (a part of
:class:`~gridmap.stores.sql.SQLStore`): the lease that lets exactly one process run each
tick, the outbox of messages written in the transaction of the step they tell of, the
notices already given for occasions no step marks, and how people want to be told.

Every claim here is one conditional statement (an upsert or an UPDATE whose WHERE says
what the claimant saw), so two processes, or two hosts, never both win: the database
decides, on GeoPackage and PostGIS alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gridmap.catalogue import CLOCK_STATUSES
from gridmap.errors import InvalidInput, say
from gridmap.stores import schema as s

CHANNELS = ("email", "webhook", "sms")


class Scheduling:
    def _insert(self, table: sa.Table):
        # Both dialects spell ON CONFLICT the same way in SQLAlchemy; only the module differs.
        return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[self._conn.dialect.name](
            table
        )

    # -- the lease -----------------------------------------------------------------------

    def acquire_lease(self, name: str, holder: str, now_utc: str, until_utc: str) -> bool:
        """Take or renew lease ``name`` for ``holder`` until ``until_utc``: True when
        ``holder`` has it now (it had it, nobody had, or the last holder's ran out)."""
        t = s.leases
        statement = (
            self._insert(t)
            .values(name=name, holder=holder, expires_utc=until_utc)
            .on_conflict_do_update(
                index_elements=["name"],
                set_={"holder": holder, "expires_utc": until_utc},
                where=sa.or_(t.c.holder == holder, t.c.expires_utc < now_utc),
            )
            .returning(t.c.holder)
        )
        with self.transaction():
            return self._run(statement).first() is not None

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (a process stopping cleanly): the next one need not wait."""
        t = s.leases
        with self.transaction():
            self._run(sa.delete(t).where(t.c.name == name, t.c.holder == holder))

    def lease(self, name: str) -> dict | None:
        t = s.leases
        row = self._run(sa.select(t).where(t.c.name == name)).first()
        return None if row is None else dict(row._mapping)

    # -- the outbox ----------------------------------------------------------------------

    def add_messages(self, rows: Sequence[dict]) -> None:
        """Messages to send (kind, incident_id or hazard_id, recipient, channel, address,
        subject, body, next_utc), in the caller's transaction."""
        if not rows:
            return
        created = s.now_text()
        values = [{"created": created, "state": "pending", "attempts": 0, **r} for r in rows]
        with self.transaction():
            self._run(sa.insert(s.outbox), values)

    def claim_messages(
        self, holder: str, now_utc: str, until_utc: str, limit: int = 100
    ) -> list[dict]:
        """Up to ``limit`` messages due by ``now_utc``, claimed for ``holder`` until
        ``until_utc`` in one conditional UPDATE: a message another sender claimed
        meanwhile no longer matches its WHERE and is not returned."""
        t = s.outbox
        free = sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now_utc)
        due = sa.and_(t.c.state == "pending", t.c.next_utc <= now_utc, free)
        first = sa.select(t.c.id).where(due).order_by(t.c.id).limit(int(limit)).scalar_subquery()
        statement = (
            sa.update(t)
            .where(t.c.id.in_(first), due)
            .values(claimed_by=holder, claimed_until=until_utc)
            .returning(*t.c)
        )
        with self.transaction():
            rows = [dict(r._mapping) for r in self._run(statement)]
        return sorted(rows, key=lambda r: r["id"])

    def settle_messages(
        self,
        holder: str,
        sent_utc: str,
        sent: Sequence[int],
        failed: Sequence[tuple[int, str, str | None]] = (),
    ) -> None:
        """What became of the messages ``holder`` claimed, in one transaction: ``sent``
        (ids), ``failed`` (id, why, when to try again, or None: given up)."""
        t = s.outbox
        mine = t.c.claimed_by == holder
        with self.transaction():
            if sent:
                self._run(
                    sa.update(t)
                    .where(t.c.id.in_(list(sent)), mine)
                    .values(
                        state="sent",
                        sent_utc=sent_utc,
                        attempts=t.c.attempts + 1,
                        claimed_until=None,
                        error=None,
                    )
                )
            if failed:
                self._run(
                    sa.update(t)
                    .where(t.c.id == sa.bindparam("_id"), mine)
                    .values(
                        attempts=t.c.attempts + 1,
                        error=sa.bindparam("_error"),
                        claimed_until=None,
                        state=sa.case((sa.bindparam("_next") == None, "failed"), else_="pending"),  # noqa: E711
                        next_utc=sa.func.coalesce(sa.bindparam("_next"), t.c.next_utc),
                    ),
                    [{"_id": i, "_error": why[:1000], "_next": later} for i, why, later in failed],
                )

    def messages(
        self, incident_id: int | None = None, state: str | None = None, limit: int = 1000
    ) -> list[dict]:
        """The outbox, newest last (of one case, in one state)."""
        t = s.outbox
        statement = sa.select(t).order_by(t.c.id).limit(int(limit))
        if incident_id is not None:
            statement = statement.where(t.c.incident_id == incident_id)
        if state is not None:
            statement = statement.where(t.c.state == state)
        return [dict(r._mapping) for r in self._run(statement)]

    # -- notices given once per occasion -------------------------------------------------

    def add_notice(self, kind: str, ref: int, key: str) -> bool:
        """Mark notice (kind, ref, key) given; False when it was already (another
        runner's): the caller then writes no message."""
        t = s.notices
        statement = (
            self._insert(t)
            .values(kind=kind, ref=int(ref), key=key, created=s.now_text())
            .on_conflict_do_nothing(index_elements=["kind", "ref", "key"])
            .returning(t.c.id)
        )
        with self.transaction():
            return self._run(statement).first() is not None

    def due_soon_ids(self, now_utc: str) -> list[tuple[int, str]]:
        """(id, warning time) of the cases whose clock runs, not yet overdue, and whose
        warning time has passed by ``now_utc`` without a due-soon notice for it."""
        t, n = s.incidents, s.notices
        warn = t.c.warn_utc
        told = sa.exists().where(n.c.kind == "due_soon", n.c.ref == t.c.id, n.c.key == warn)
        statement = sa.select(t.c.id, warn).where(
            warn < now_utc,
            t.c.due_utc >= now_utc,  # an overdue case is escalated, not warned
            t.c.clock_since.is_not(None),
            t.c.status.in_(sorted(CLOCK_STATUSES)),
            ~told,
        )
        return [(int(i), w) for i, w in self._run(statement)]

    def hazards_to_remind(self, day: str) -> list[dict]:
        """Hazards whose next inspection is due by ``day`` (ISO date) and whose officer
        was not yet reminded of that date."""
        t, n = s.hazards, s.notices
        told = sa.exists().where(
            n.c.kind == "inspect", n.c.ref == t.c.id, n.c.key == t.c.next_inspection
        )
        columns = [c for c in t.columns if c.name != "geom"]
        statement = (
            sa.select(*columns)
            .where(t.c.next_inspection <= day, ~told)
            .order_by(t.c.next_inspection, t.c.id)
        )
        return [dict(r._mapping) for r in self._run(statement)]

    # -- how people want to be told ------------------------------------------------------

    def set_contact(
        self,
        user_name: str,
        email: str = "",
        phone: str = "",
        webhook: str = "",
        lang: str = "zh",
        channels: Sequence[str] = (),
    ) -> None:
        """A user's addresses, language and chosen channels (audited)."""
        bad = [c for c in channels if c not in CHANNELS]
        if bad:
            raise InvalidInput(
                say(
                    "unknown channel {bad!r}; expected some of {channels}",
                    bad=bad[0],
                    channels=", ".join(CHANNELS),
                ),
                field="channels",
            )
        if lang not in ("zh", "en"):
            raise InvalidInput(say("language {lang!r}: expected zh or en", lang=lang), field="lang")
        self.user(user_name)  # NotFound names it
        values = {
            "email": email.strip(),
            "phone": phone.strip(),
            "webhook": webhook.strip(),
            "lang": lang,
            "channels": list(dict.fromkeys(channels)),
        }
        t = s.contacts
        with self.transaction():
            before = self.contacts([user_name]).get(user_name)
            self._run(sa.delete(t).where(t.c.user_name == user_name))
            self._run(sa.insert(t).values(user_name=user_name, **values))
            self.record("contact.set", user_name, before=before, after=values)

    def contacts(self, names: Sequence[str] | None = None) -> dict[str, dict]:
        """Each user's contact row (of ``names``), by user name."""
        t = s.contacts
        statement = sa.select(t)
        if names is not None:
            statement = statement.where(t.c.user_name.in_(list(names)))
        out = {}
        for r in self._run(statement):
            row = dict(r._mapping)
            row["channels"] = list(row["channels"] or [])
            out[row["user_name"]] = row
        return out

    def add_public_contact(
        self, incident_id: int, email: str = "", phone: str = "", lang: str = "zh"
    ) -> None:
        """A public reporter's addresses, given with their report when they asked to be
        told of it."""
        t = s.public_contacts
        values = {"email": email.strip(), "phone": phone.strip(), "lang": lang}
        with self.transaction():
            self._run(sa.insert(t).values(incident_id=incident_id, created=s.now_text(), **values))

    def public_contact(self, incident_id: int) -> dict | None:
        t = s.public_contacts
        row = self._run(sa.select(t).where(t.c.incident_id == incident_id)).first()
        return None if row is None else dict(row._mapping)

    def public_contacts(self, ids: Sequence[int]) -> dict[int, dict]:
        """The public contacts of the cases of ``ids`` that have one, by case."""
        t = s.public_contacts
        if not ids:
            return {}
        rows = self._run(sa.select(t).where(t.c.incident_id.in_(list(ids))))
        return {r.incident_id: dict(r._mapping) for r in rows}
