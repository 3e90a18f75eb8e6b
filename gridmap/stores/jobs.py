"""Background jobs' state, written once for every database (a part of
:class:`~gridmap.stores.sql.SQLStore`).  The work runs in a server process; what it has
done, and whether someone asked it to stop, is here for every process to read."""

from __future__ import annotations

import sqlalchemy as sa

from gridmap.errors import NotFound, say
from gridmap.stores import schema as s

OPEN = ("queued", "running")


class Jobs:
    def add_job(self, key: str, owner: str, kind: str, request: dict, worker: str) -> dict:
        with self.transaction():
            self._run(
                sa.insert(s.jobs).values(
                    key=key,
                    owner=owner,
                    kind=kind,
                    state="queued",
                    request=request,
                    messages=[],
                    worker=worker,
                    stop=False,
                    created=s.now_text(),
                )
            )
        return self.job(key)

    def job(self, key: str) -> dict:
        row = self._run(sa.select(s.jobs).where(s.jobs.c.key == key)).first()
        if row is None:
            raise NotFound(say("no job {key}", key=key))
        return dict(row._mapping)

    def update_job(self, key: str, **values) -> None:
        """Change a job's state, messages, plan, error or stop flag."""
        if values.get("state") in ("done", "stopped", "failed", "interrupted"):
            values["finished"] = s.now_text()
        with self.transaction():
            self._run(sa.update(s.jobs).where(s.jobs.c.key == key).values(**values))

    def open_jobs(self, owner: str | None = None) -> list[dict]:
        """Jobs queued or running (of ``owner``), oldest first."""
        t = s.jobs
        statement = sa.select(t).where(t.c.state.in_(OPEN)).order_by(t.c.id)
        if owner is not None:
            statement = statement.where(t.c.owner == owner)
        return [dict(r._mapping) for r in self._run(statement)]

    def interrupt_jobs(self, workers: list[str]) -> int:
        """Mark the open jobs of ``workers`` (processes that are gone) as interrupted."""
        t = s.jobs
        if not workers:
            return 0
        with self.transaction():
            done = self._run(
                sa.update(t)
                .where(t.c.state.in_(OPEN), t.c.worker.in_(workers))
                .values(
                    state="interrupted",
                    finished=s.now_text(),
                    error="the server process running it stopped",
                )
            )
        return done.rowcount
