"""The public channel's records: Open311 client apps' keys, the public's reports with
their tracking numbers, the requests an Open311 client asks for, and the counts the
public statistics page publishes (a part of :class:`~gridmap.stores.sql.SQLStore`).

Keys and tracking numbers are kept as SHA-256 digests, like API tokens: both are random
with enough entropy that a slow hash adds nothing, and each request checks one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import sqlalchemy as sa

from gridmap.errors import InvalidInput, NotFound
from gridmap.stores import schema as s
from gridmap.stores.cases import _CASE_FIELDS


class Public:
    # -- Open311 client apps -------------------------------------------------------------

    def add_open311_key(self, name: str, digest: str) -> int:
        name = (name or "").strip()
        if not name or len(name) > 64:
            raise InvalidInput(f"client name {name!r}: expected 1-64 characters", field="name")
        t = s.open311_keys
        with self.transaction():
            if self._run(sa.select(t.c.id).where(t.c.name == name)).first():
                raise InvalidInput(f"an Open311 client {name!r} exists already", field="name")
            key_id = int(
                self._run(
                    sa.insert(t)
                    .values(name=name, digest=digest, created=s.now_text(), revoked=False)
                    .returning(t.c.id)
                ).scalar_one()
            )
            self.record("open311.key.add", name, after={"id": key_id})
        return key_id

    def open311_keys(self) -> list[dict]:
        t = s.open311_keys
        rows = self._run(sa.select(t.c.id, t.c.name, t.c.created, t.c.revoked).order_by(t.c.id))
        return [{**r._mapping, "revoked": bool(r.revoked)} for r in rows]

    def revoke_open311_key(self, name: str) -> None:
        t = s.open311_keys
        with self.transaction():
            done = self._run(sa.update(t).where(t.c.name == name).values(revoked=True))
            if done.rowcount != 1:
                raise NotFound(f"no Open311 client {name!r}")
            self.record("open311.key.revoke", name)

    def open311_client(self, digest: str) -> str | None:
        """The name of the client app whose live key has this digest."""
        t = s.open311_keys
        row = self._run(
            sa.select(t.c.name).where(t.c.digest == digest, sa.not_(t.c.revoked))
        ).first()
        return None if row is None else row[0]

    # -- the public's reports ------------------------------------------------------------

    def add_public_report(self, incident_id: int, digest: str, client: str) -> None:
        t = s.public_reports
        with self.transaction():
            self._run(
                sa.insert(t).values(
                    incident_id=incident_id, digest=digest, client=client, created=s.now_text()
                )
            )

    def public_report(self, digest: str) -> int:
        """The incident a tracking number (its digest) stands for."""
        t = s.public_reports
        row = self._run(sa.select(t.c.incident_id).where(t.c.digest == digest)).first()
        if row is None:
            raise NotFound("no report has this tracking number")
        return int(row[0])

    def requests(
        self,
        ids: Sequence[int] | None = None,
        categories: Sequence[str] | None = None,
        statuses: Collection[str] | None = None,
        since_utc: str | None = None,
        until_utc: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        limit: int = 1000,
    ) -> list[dict]:
        """Cases as an Open311 client asks for them, newest first (every filter given
        narrows them; the bbox tests the point's lon and lat columns), each saying
        whether it came from the public (``from_public``)."""
        t = s.incidents
        where = []
        if ids is not None:
            where.append(t.c.id.in_([int(i) for i in ids]))
        if categories:
            where.append(t.c.category.in_(list(categories)))
        if statuses is not None:
            where.append(t.c.status.in_(sorted(statuses)))
        if since_utc:
            where.append(t.c.reported_utc >= since_utc)
        if until_utc:
            where.append(t.c.reported_utc < until_utc)
        if bbox is not None:
            x0, y0, x1, y1 = bbox
            where += [t.c.lon >= x0, t.c.lon <= x1, t.c.lat >= y0, t.c.lat <= y1]
        p = s.public_reports
        from_public = sa.exists().where(p.c.incident_id == t.c.id).label("from_public")
        statement = (
            sa.select(*(t.c[c] for c in _CASE_FIELDS), from_public)
            .where(*where)
            .order_by(t.c.reported_utc.desc(), t.c.id.desc())
            .limit(int(limit))
        )
        return [dict(r._mapping) for r in self._run(statement)]

    def last_events(self, ids: Sequence[int]) -> dict[int, dict]:
        """Per case, when it last changed, its department's latest public reply (the note
        of its last 反馈 report back, or of 作废 reject: what the public is told), its
        rating, and the case it was merged into (``merged_into``) if it was."""
        if not ids:
            return {}
        e = s.case_events
        out: dict[int, dict] = {int(i): {"updated": None, "reply": ""} for i in ids}
        rows = self._run(
            sa.select(e.c.incident_id, e.c.at, e.c.action, e.c.note, e.c.detail)
            .where(e.c.incident_id.in_(list(out)))
            .order_by(e.c.incident_id, e.c.at, e.c.id)
        )
        for incident_id, at, action, note, detail in rows:
            item = out[int(incident_id)]
            item["updated"] = at
            if action in ("report_back", "reject") and note:
                item["reply"] = note
            if action == "evaluate":
                item["rating"] = (detail or {}).get("rating")
            if action == "merge":  # closed as a duplicate of this case
                item["merged_into"] = (detail or {}).get("parent")
        return out

    def public_counts(self) -> dict:
        """What the public statistics publish: cases per department and grid with how many
        were handled on time or late, and the ratings the public gave."""
        t, e = s.incidents, s.case_events
        n = sa.func.count()
        cases = self._run(
            sa.select(t.c.department, t.c.grid_code, t.c.on_time, n).group_by(
                t.c.department, t.c.grid_code, t.c.on_time
            )
        ).all()
        ratings = self._run(
            sa.select(t.c.department, t.c.grid_code, e.c.detail)
            .join(e, e.c.incident_id == t.c.id)
            .where(e.c.action == "evaluate")
        ).all()
        return {
            "cases": [(d, g, ok, int(c)) for d, g, ok, c in cases],
            "ratings": [(d, g, (detail or {}).get("rating")) for d, g, detail in ratings],
        }
