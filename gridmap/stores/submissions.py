"""Idempotency keys of reports and inspections (a part of
:class:`~gridmap.stores.sql.SQLStore`, written once for both databases): the use cases
claim a key in the transaction that makes the record, so that of two requests with one
key exactly one makes it and the other learns which (``gridmap.services.idempotency``)."""

from __future__ import annotations

import sqlalchemy as sa

from gridmap.stores import schema as s


class Submissions:
    def claim_key(self, key: str, kind: str, actor: str) -> dict | None:
        """Inside a transaction: take ``key`` for a ``kind`` record that ``actor`` is
        making; None when taken now, else the earlier claim (kind, record_id, actor).

        On PostGIS a second transaction claiming the same key waits here until the
        first ends (the unique index), then finds its row, or takes the key when the
        first rolled back; a GeoPackage's writers are one at a time anyway."""
        t = s.submissions
        statement = (
            self._insert(t)
            .values(key=key, kind=kind, actor=actor, created=s.now_text())
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(t.c.id)
        )
        with self.transaction():
            if self._run(statement).first() is not None:
                return None
            row = self._run(
                sa.select(t.c.kind, t.c.record_id, t.c.actor).where(t.c.key == key)
            ).one()
        return dict(row._mapping)

    def set_key_record(self, key: str, record_id: int) -> None:
        """The record made under ``key`` (in the transaction that claimed it)."""
        t = s.submissions
        with self.transaction():
            self._run(sa.update(t).where(t.c.key == key).values(record_id=int(record_id)))
