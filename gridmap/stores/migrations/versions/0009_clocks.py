"""Two clocks and early warnings: incidents gain their clock's kind (working or natural
time) and when they are due soon (warn_utc, indexed); a city's clock and limit per
category are stored as data.

Cases whose clock runs get their warning time here, as a restart of their clock now
would set it, with the default working hours and share (a migration reads no settings:
other GRIDMAP_WORK_HOURS or GRIDMAP_WARN_SHARE values apply from each case's next step).
Their kind stays NULL: they were dispatched in working time.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa

from gridmap.model import utc_text
from gridmap.stores import schema as s
from gridmap.stores.migrations import add_columns, create_tables
from gridmap.workcal import WorkCalendar
from gridmap.workflow import Clock, Deadlines, parse_utc

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from alembic import op

    add_columns(s.incidents, s.CLOCK_COLUMNS)
    create_tables(s.CLOCK_TABLES)
    _warn_running(op.get_context().config.attributes["store"])


def _warn_running(store) -> None:
    t = s.incidents
    d = Deadlines(WorkCalendar(local=store.calendar_days()))
    rows = store._run(
        sa.select(t.c.id, t.c.clock_limit, t.c.clock_used, t.c.clock_since).where(
            t.c.clock_since.is_not(None), t.c.clock_limit.is_not(None)
        )
    ).all()
    updates = []
    for incident_id, limit, used, since in rows:
        clock = Clock(limit=limit, used=used or 0.0)
        warn = clock.after(parse_utc(since), limit * d.warn_share - clock.used, d.cal)
        updates.append({"_id": incident_id, "warn_utc": utc_text(warn)})
    store.set_cases(updates)


def downgrade() -> None:
    raise NotImplementedError("clock columns are not removed from a store")
