"""The one schema of every store, as SQLAlchemy Core tables.

Both databases get these tables from this one description: DDL, queries and migrations
compile to SQLite (the GeoPackage) or PostgreSQL (PostGIS).  Type names were chosen so
that SQLite's DDL reads as the GeoPackage specification wants it (``INTEGER``, ``TEXT``,
``FLOAT``, ``BOOLEAN``, ``DATE``, ``DATETIME``, and the geometry type name itself), which
GDAL's validator checks column by column.

Each layer's areas live in their own feature table ``area_<layer>`` (created when the
layer is added) so that QGIS shows districts, streets and grids as separate layers.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.types import TypeDecorator, UserDefinedType

metadata = MetaData()


class Geometry(UserDefinedType):
    """A geometry column in EPSG:4326: ``MULTIPOLYGON`` in a GeoPackage,
    ``geometry(MultiPolygon, 4326)`` in PostGIS.  Values travel encoded by the store's
    adapter (GeoPackage blobs, EWKB), so the type itself converts nothing."""

    cache_ok = True

    def __init__(self, kind: str = "GEOMETRY"):
        self.kind = kind

    def get_col_spec(self, **kw) -> str:
        return self.kind


_PG_GEOMETRY = {"GEOMETRY": "Geometry", "POINT": "Point", "MULTIPOLYGON": "MultiPolygon"}


@compiles(Geometry, "postgresql")
def _pg_geometry(element: Geometry, compiler, **kw) -> str:
    return f"geometry({_PG_GEOMETRY[element.kind]}, 4326)"


class _Jsonb(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "JSONB"


class Json(TypeDecorator):
    """JSON as TEXT in a GeoPackage, JSONB in PostGIS.  Text goes in as it is (callers
    often build it once for many rows); other values are serialised."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(_Jsonb() if dialect.name == "postgresql" else Text())

    def process_bind_param(self, value, dialect):
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def process_result_value(self, value, dialect):
        return json.loads(value) if isinstance(value, str) else value


class _Timestamptz(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "timestamptz"


class Timestamp(TypeDecorator):
    """A UTC instant: ``DATETIME`` text as the GeoPackage writes it
    (``2026-12-01T08:30:00.000Z``), ``timestamptz`` in PostGIS; ISO text out."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(
            _Timestamptz() if dialect.name == "postgresql" else _Datetime()
        )

    def process_result_value(self, value, dialect):
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return value


class _Datetime(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "DATETIME"


def now_text() -> str:
    """Now, as a :class:`Timestamp` is written."""
    return timestamp_text(datetime.now(timezone.utc))


def timestamp_text(moment: datetime) -> str:
    """An aware instant as a :class:`Timestamp` is written."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Day(TypeDecorator):
    """A calendar day: ``DATE`` in both, :class:`datetime.date` out."""

    impl = Date
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value

    def process_result_value(self, value, dialect):
        return date.fromisoformat(value) if isinstance(value, str) else value


def _id() -> Column:
    return Column("id", Integer, primary_key=True, autoincrement=True)


meta = Table(
    "gridmap_meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)
# Its counters, as a new store starts them: what lookup indexes are keyed by (areas or the
# active generation changed) and what kept positions are (a point moved in a GIS).
META_START = [
    {"key": "areas_version", "value": "0"},
    {"key": "positions_version", "value": "0"},
]

LAYER_KINDS_CHECK = "kind IN ('admin', 'zone', 'reference')"
LAYER_KINDS_CHECK_0001 = "kind IN ('admin', 'zone')"  # before revision 0008

layers = Table(
    "layers",
    metadata,
    _id(),
    Column("name", Text, nullable=False, unique=True),
    Column("title_zh", Text, nullable=False),
    Column("title_en", Text, nullable=False),
    Column("parent", Text, ForeignKey("layers.name")),
    Column("kind", Text, nullable=False),
    Column("department", Text),
    Column("position", Integer, nullable=False),
    # Retired: kept for the cases that name its areas, no longer looked up or shown.
    Column(
        "retired", Boolean(create_constraint=False), nullable=False, server_default=text("false")
    ),
    CheckConstraint(LAYER_KINDS_CHECK, name="layers_kind"),
)
LAYER_COLUMNS = ["retired"]

generations = Table(
    "generations",
    metadata,
    _id(),
    Column("name", Text, nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("created", Timestamp, nullable=False),
    Column(
        "active", Boolean(create_constraint=False), nullable=False, server_default=text("false")
    ),
    # The days the boundaries were (or are to be) in force: MapIt has no dates, so its
    # clients pin generation numbers by hand when new wards are loaded early.
    Column("effective_from", Day),
    Column("effective_to", Day),
    sqlite_autoincrement=True,
)
# Exactly one generation is active (at most one here; the store activates one).
Index(
    "ix_generations_one_active",
    generations.c.active,
    unique=True,
    sqlite_where=text("active = 1"),
    postgresql_where=text("active"),
)

officers = Table(
    "officers",
    metadata,
    _id(),
    Column("name", Text, nullable=False),
    Column("phone", Text, nullable=False, server_default=""),
    Column("role", Text, nullable=False),
    Column("layer", Text, ForeignKey("layers.name"), nullable=False),
    Column("area_code", Text, nullable=False),
)
Index("ix_officers_area", officers.c.layer, officers.c.area_code)

incidents = Table(
    "incidents",
    metadata,
    _id(),
    Column("geom", Geometry("POINT"), nullable=False),
    Column("category", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("reported_at", Text, nullable=False),
    Column("reported_utc", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("reporter", Text, nullable=False, server_default=""),
    Column("generation", Integer, ForeignKey("generations.id")),
    Column("grid_code", Text),
    Column("areas", Json, nullable=False, server_default="{}"),
    # Copies of the point's coordinates: the exact test after the spatial index's
    # (float32, GeoPackage) bounding boxes, and clustering without decoding geometries.
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    # The case (revision 0004): who handles it and its deadline clock (gridmap.workflow).
    Column("department", Text),
    Column("zone_code", Text),  # the department's zone the point lies in
    Column("hazard_id", Integer),  # the hazard it came from, if any
    Column("clock_limit", Float),  # seconds of clock_kind allowed (set at the first dispatch)
    Column("clock_used", Float, nullable=False, server_default="0"),  # before clock_since
    Column("clock_since", Text),  # UTC: the clock runs since then (NULL: stopped)
    Column("due_utc", Text),  # UTC: when it is due while the clock runs
    Column("on_time", Boolean(create_constraint=False)),  # handled within the limit
    Column("review_on", Day),  # a parked case's review date
    Column("dispatched_utc", Text),
    Column("closed_utc", Text),
    # Revision 0009: the clock's kind, working or natural time (catalogue.CLOCKS; NULL
    # before the first dispatch, and for cases dispatched before: working time), and when
    # it is due soon (预警: a share of the limit used), set exactly while due_utc is.
    Column("clock_kind", Text),
    Column("warn_utc", Text),
    sqlite_autoincrement=True,
)
Index("ix_incidents_time", incidents.c.reported_utc)
Index("ix_incidents_grid", incidents.c.grid_code, incidents.c.status)
# The board counts statuses and on-time handling in one walk of this index.
Index("ix_incidents_status", incidents.c.status, incidents.c.on_time)
# Covering the board's overdue count (per department and grid) as well as the range.
Index("ix_incidents_due", incidents.c.due_utc, incidents.c.department, incidents.c.grid_code)
Index("ix_incidents_department", incidents.c.department, incidents.c.status)
# Cases due soon at a moment (warn_utc <= now <= due_utc), per department, from the index.
Index(
    "ix_incidents_warn",
    incidents.c.warn_utc,
    incidents.c.due_utc,
    incidents.c.department,
    incidents.c.grid_code,
)
Index("ix_incidents_closed", incidents.c.closed_utc)
# The monthly evaluation (revision 0015): a month's cases with everything it counts of
# them, from the index alone (no fetch of a million-row table's wide rows).
Index(
    "ix_incidents_month",
    incidents.c.reported_utc,
    incidents.c.department,
    incidents.c.grid_code,
    incidents.c.dispatched_utc,
    incidents.c.on_time,
    incidents.c.id,  # SQLite's indexes carry the rowid; PostgreSQL's only what they name
)
# The scheduler's tick (revision 0010): only the cases whose clock runs towards an
# escalation, so a tick reads the few newly overdue, not every case ever overdue.
_ESCALATABLE = text("status IN ('dispatched', 'handling')")
Index(
    "ix_incidents_escalate",
    incidents.c.due_utc,
    postgresql_where=_ESCALATABLE,
    sqlite_where=_ESCALATABLE,
)
# An officer's case list (revision 0012) holds their grids' cases (ix_incidents_grid) or
# those they reported anywhere: each side of that OR read from an index, not a scan of
# every case.
Index("ix_incidents_reporter", incidents.c.reporter)
CASE_COLUMNS = [
    "department",
    "zone_code",
    "hazard_id",
    "clock_limit",
    "clock_used",
    "clock_since",
    "due_utc",
    "on_time",
    "review_on",
    "dispatched_utc",
    "closed_utc",
]
CLOCK_COLUMNS = ["clock_kind", "warn_utc"]  # revision 0009

hazards = Table(
    "hazards",
    metadata,
    _id(),
    Column("geom", Geometry("GEOMETRY"), nullable=False),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("risk_level", Integer, nullable=False),
    Column("next_inspection", Text),
    Column("generation", Integer, ForeignKey("generations.id")),
    Column("grid_code", Text),
    Column("areas", Json, nullable=False, server_default="{}"),
    CheckConstraint("risk_level BETWEEN 1 AND 4", name="hazards_risk_level"),
    sqlite_autoincrement=True,
)

plans = Table(
    "plans",
    metadata,
    _id(),
    Column("name", Text, nullable=False),
    Column("spec", Json, nullable=False),
    Column("assignment", Json, nullable=False),
    Column("created", Timestamp, nullable=False),
    Column("updated", Timestamp, nullable=False),
    # Revision 0006: who made it, and the rules it is checked against (k, min, max, epsilon)
    # so that the plans page can say whether each plan passes.
    Column("author", Text),
    Column("bounds", Json, nullable=False, server_default="{}"),
    CheckConstraint("name <> ''", name="plans_name"),
    sqlite_autoincrement=True,
)

PLAN_COLUMNS = ["author", "bounds"]

# Revision 0015: a plan's way to publication.  A planner submits it (with the new areas'
# names and a note), an admin publishes it or sends it back with a note; each step one row,
# so the plan's state is its last step and the notes stay for the planner to read.
plan_reviews = Table(
    "plan_reviews",
    metadata,
    _id(),
    Column("plan_id", Integer, ForeignKey("plans.id"), nullable=False),
    Column("step", Text, nullable=False),  # submitted, returned, published
    Column("actor", Text, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("names", Json, nullable=False, server_default="{}"),  # new area code -> name
    Column("version", Text, nullable=False),  # the plan's "updated" the step was taken on
    Column("generation", Integer, ForeignKey("generations.id")),  # what publishing made
    Column("at", Timestamp, nullable=False),
    CheckConstraint("step IN ('submitted', 'returned', 'published')", name="plan_reviews_step"),
    sqlite_autoincrement=True,
)
Index("ix_plan_reviews_plan", plan_reviews.c.plan_id, plan_reviews.c.id)

users = Table(
    "users",
    metadata,
    _id(),
    Column("name", Text, nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("roles", Json, nullable=False),  # ["planner", "admin"]
    Column("areas", Json, nullable=False, server_default="[]"),  # codes the roles cover
    Column("department", Text),
    Column("active", Boolean(create_constraint=False), nullable=False, server_default=text("true")),
    Column("created", Timestamp, nullable=False),
    sqlite_autoincrement=True,
)

tokens = Table(
    "tokens",
    metadata,
    _id(),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("digest", Text, nullable=False, unique=True),  # SHA-256 of the token
    Column("role", Text, nullable=False),
    Column("created", Timestamp, nullable=False),
    Column(
        "revoked", Boolean(create_constraint=False), nullable=False, server_default=text("false")
    ),
    Column("expires", Timestamp),  # revision 0007: NULL never expires
    sqlite_autoincrement=True,
)

TOKEN_COLUMNS = ["expires"]

# Every change: who, when, what, before and after.  Rows are only ever added, in the
# transaction of the change they record.
audit = Table(
    "audit",
    metadata,
    _id(),
    Column("at", Timestamp, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),  # "publish", "import_layer", "user.add", ...
    Column("target", Text, nullable=False, server_default=""),
    Column("before", Json),
    Column("after", Json),
    sqlite_autoincrement=True,
)
Index("ix_audit_at", audit.c.at)
Index("ix_audit_actor", audit.c.actor)

# Background work (automatic plans): its state where every server process sees it.
jobs = Table(
    "jobs",
    metadata,
    _id(),
    Column("key", Text, nullable=False, unique=True),  # the id the API hands out
    Column("owner", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("state", Text, nullable=False),  # queued, running, done, stopped, failed, interrupted
    Column("request", Json, nullable=False),
    Column("messages", Json, nullable=False, server_default="[]"),
    Column("plan_id", Integer),
    Column("error", Text),
    Column("worker", Text, nullable=False),  # host:pid of the process that runs it
    Column("stop", Boolean(create_constraint=False), nullable=False, server_default=text("false")),
    Column("created", Timestamp, nullable=False),
    Column("finished", Timestamp),
    sqlite_autoincrement=True,
)
Index("ix_jobs_state", jobs.c.state)

# -- the case loop (revision 0004) ---------------------------------------------------------

departments = Table(
    "departments",
    metadata,
    _id(),
    Column("code", Text, nullable=False, unique=True),  # "traffic", "fire", ...
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("layer", Text),  # its zone layer (NULL: one zone, the whole city)
    sqlite_autoincrement=True,
)

routes = Table(
    "routes",
    metadata,
    _id(),
    Column("position", Integer, nullable=False),  # first match wins, lowest first
    Column("category", Text, nullable=False, server_default=""),  # a code or prefix; "": any
    Column("layer", Text),  # the point must lie in an area of this layer ...
    Column("area_code", Text),  # ... or in this area of it
    Column("department", Text, nullable=False),
    sqlite_autoincrement=True,
)

case_events = Table(
    "case_events",
    metadata,
    _id(),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("at", Timestamp, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),  # "report", "accept", "dispatch", ...
    Column("from_status", Text),
    Column("to_status", Text, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("detail", Json, nullable=False, server_default="{}"),  # department, review date...
    sqlite_autoincrement=True,
)
Index("ix_case_events_incident", case_events.c.incident_id)
# The evaluation's probe of a case's escalations and returns (revision 0015), covered.
Index(
    "ix_case_events_judged",
    case_events.c.incident_id,
    case_events.c.action,
    case_events.c.from_status,
)

photos = Table(
    "photos",
    metadata,
    _id(),
    Column("incident_id", Integer),
    Column("hazard_id", Integer),
    Column("event", Integer),  # the case event or inspection it was taken for
    Column("content_type", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("thumb", LargeBinary, nullable=False),
    Column("created", Timestamp, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_photos_incident", photos.c.incident_id)
Index("ix_photos_hazard", photos.c.hazard_id)

inspections = Table(
    "inspections",
    metadata,
    _id(),
    Column("hazard_id", Integer, ForeignKey("hazards.id"), nullable=False),
    Column("day", Day, nullable=False),
    Column("inspector", Text, nullable=False),
    Column("result", Text, nullable=False),  # rectified, pending, worse
    Column("note", Text, nullable=False, server_default=""),
    Column("created", Timestamp, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_inspections_hazard", inspections.c.hazard_id)

# Cases per status and on-time outcome (-1: not handled yet, 0: late, 1: on time), kept
# in the same transaction as every write that adds a case or moves one: the board reads
# 36 rows instead of counting a million (stores/cases.py keeps it; recount rebuilds it).
incident_counts = Table(
    "incident_counts",
    metadata,
    _id(),
    Column("status", Text, nullable=False),
    Column("on_time", Integer, nullable=False),
    Column("n", Integer, nullable=False),
    UniqueConstraint("status", "on_time", name="incident_counts_key"),
    sqlite_autoincrement=True,
)

calendar_days = Table(
    "calendar_days",
    metadata,
    _id(),
    Column("day", Day, nullable=False, unique=True),
    Column("working", Boolean(create_constraint=False), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    sqlite_autoincrement=True,
)

# A city's own clock and limit per sub-category (revision 0009; workflow.ClockRule).
category_clocks = Table(
    "category_clocks",
    metadata,
    _id(),
    Column("code", Text, nullable=False, unique=True),  # a sub-category, "E0404"
    Column("clock", Text, nullable=False),  # catalogue.CLOCKS
    Column("amount", Float, nullable=False),
    Column("unit", Text, nullable=False),  # h or d
    CheckConstraint("amount > 0", name="category_clocks_amount"),
    sqlite_autoincrement=True,
)

# -- the public channel (revision 0005) -----------------------------------------------------

# Open311 client apps: each posts with its own api_key, kept only as its SHA-256.
open311_keys = Table(
    "open311_keys",
    metadata,
    _id(),
    Column("name", Text, nullable=False, unique=True),
    Column("digest", Text, nullable=False, unique=True),
    Column("created", Timestamp, nullable=False),
    Column(
        "revoked", Boolean(create_constraint=False), nullable=False, server_default=text("false")
    ),
    sqlite_autoincrement=True,
)

# A report from the public: its tracking number (as a SHA-256: whoever holds the number may
# rate the case, so the store does not keep it readable) and the client app it came from.
public_reports = Table(
    "public_reports",
    metadata,
    _id(),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False, unique=True),
    Column("digest", Text, nullable=False, unique=True),
    Column("client", Text, nullable=False),  # an Open311 key's name, or "web" (the page)
    Column("created", Timestamp, nullable=False),
    sqlite_autoincrement=True,
)

# -- sessions and sign-in limits (revision 0007) -------------------------------------------

# A browser's sign-in: the cookie carries only a random id, the store its SHA-256 and the
# rest, so that every worker and host sees a session end at once.
sessions = Table(
    "sessions",
    metadata,
    _id(),
    Column("digest", Text, nullable=False, unique=True),  # SHA-256 of the cookie's id
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created", Timestamp, nullable=False),
    Column("seen", Timestamp, nullable=False),  # last request (to a minute: see people.py)
    Column("agent", Text, nullable=False, server_default=""),
    Column("address", Text, nullable=False, server_default=""),
    sqlite_autoincrement=True,
)
Index("ix_sessions_user", sessions.c.user_id)

# Counts of what callers did (failed sign-ins per name and per address, photos per user),
# one row per key and window; rows past ``expires`` are deleted as new ones come.
attempts = Table(
    "attempts",
    metadata,
    _id(),
    Column("name", Text, nullable=False),  # what is counted: "sign_in.name:li", ...
    Column("window_start", Timestamp, nullable=False),
    Column("expires", Timestamp, nullable=False),  # when the row counts for nothing
    Column("n", Integer, nullable=False, server_default="0"),
    UniqueConstraint("name", "window_start", name="attempts_window"),
    sqlite_autoincrement=True,
)
Index("ix_attempts_expires", attempts.c.expires)

# -- the scheduler and notifications (revision 0010) --------------------------------------

# Who runs a periodic duty (the scheduler's tick) for every process serving this store: a
# holder keeps it by renewing it before it expires; anyone takes it over once it has.
leases = Table(
    "leases",
    metadata,
    _id(),  # (a GeoPackage's attribute table has an integer key)
    Column("name", Text, nullable=False, unique=True),
    Column("holder", Text, nullable=False),
    Column("expires_utc", Text, nullable=False),  # UTC text, as due_utc
    sqlite_autoincrement=True,
)

# Messages to send, written in the transaction of the step they tell of, and delivered by
# the scheduler (retried with backoff until sent or given up).
outbox = Table(
    "outbox",
    metadata,
    _id(),
    Column("created", Timestamp, nullable=False),
    Column("kind", Text, nullable=False),  # dispatch, return, escalate, due_soon, close, inspect
    Column("incident_id", Integer),
    Column("hazard_id", Integer),
    Column("recipient", Text, nullable=False),  # a user's name, or "public"
    Column("channel", Text, nullable=False),  # email, webhook, sms
    Column("address", Text, nullable=False),  # the mail address, URL or phone number
    Column("subject", Text, nullable=False, server_default=""),
    Column("body", Text, nullable=False),
    Column("state", Text, nullable=False),  # pending, sent, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_utc", Text, nullable=False),  # not tried again before then
    Column("claimed_by", Text),
    Column("claimed_until", Text),  # another sender leaves it alone until then
    Column("sent_utc", Text),
    Column("error", Text),
    sqlite_autoincrement=True,
)
Index("ix_outbox_due", outbox.c.state, outbox.c.next_utc)

# Notices told once per occasion that no step marks (a case due soon for one deadline, a
# hazard's inspection for one date): the scheduler's memory of what it has told.
notices = Table(
    "notices",
    metadata,
    _id(),
    Column("kind", Text, nullable=False),  # due_soon, inspect
    Column("ref", Integer, nullable=False),  # the incident's or hazard's id
    Column("key", Text, nullable=False),  # the occasion: the warning time, the date due
    Column("created", Timestamp, nullable=False),
    UniqueConstraint("kind", "ref", "key", name="notices_key"),
    sqlite_autoincrement=True,
)

# How each person wants to be told: their addresses, language and channels.
contacts = Table(
    "contacts",
    metadata,
    _id(),
    Column("user_name", Text, nullable=False, unique=True),
    Column("email", Text, nullable=False, server_default=""),
    Column("phone", Text, nullable=False, server_default=""),
    Column("webhook", Text, nullable=False, server_default=""),  # their group robot's URL
    Column("lang", Text, nullable=False, server_default="zh"),
    Column("channels", Json, nullable=False, server_default="[]"),  # ["email", "sms", ...]
    sqlite_autoincrement=True,
)

# A public reporter who left contact details and asked to be told of their case.
public_contacts = Table(
    "public_contacts",
    metadata,
    _id(),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False, unique=True),
    Column("email", Text, nullable=False, server_default=""),
    Column("phone", Text, nullable=False, server_default=""),
    Column("lang", Text, nullable=False, server_default="zh"),
    Column("created", Timestamp, nullable=False),
    sqlite_autoincrement=True,
)

# -- submissions sent again (revision 0016) -------------------------------------------------

# The idempotency key of each report or inspection that came with one (an officer's phone
# makes one per draft and sends it until it hears an answer): a request sent again with
# the same key is answered with the record the first one made, never a second record.
submissions = Table(
    "submissions",
    metadata,
    _id(),
    Column("key", Text, nullable=False, unique=True),  # as the client made it (a UUID)
    Column("kind", Text, nullable=False),  # "case" or "inspection"
    Column("record_id", Integer),  # the incident or inspection (set in the same transaction)
    Column("actor", Text, nullable=False),  # who sent it: a key is no one else's
    Column("created", Timestamp, nullable=False),
    sqlite_autoincrement=True,
)
# -- duplicates (revision 0015) ---------------------------------------------------------------

# A case merged into another (Signalen's child and parent signals): the child is closed with
# this link, and its reporter follows the parent's outcome.  One parent per child; a parent
# is never a child itself (the service keeps the tree one level deep).
case_links = Table(
    "case_links",
    metadata,
    _id(),
    Column("child_id", Integer, ForeignKey("incidents.id"), nullable=False, unique=True),
    Column("parent_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("created", Timestamp, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_case_links_parent", case_links.c.parent_id)

# What the GeoPackage lists in gpkg_contents: feature tables with their geometry type,
# attribute tables.  (gridmap_meta is internal and not listed.)
FEATURE_TABLES = {"incidents": "POINT", "hazards": "GEOMETRY"}
ATTRIBUTE_TABLES = {
    "layers": "gridmap layers",
    "generations": "boundary generations",
    "officers": "grid and zone officers",
    "plans": "redistricting plans",
}
# Revision 0002 added these.
ACCOUNT_TABLES = {"users": "people who sign in", "tokens": "API tokens", "audit": "audit trail"}
ATTRIBUTE_TABLES.update(ACCOUNT_TABLES)
# Revision 0003 added this.
JOB_TABLES = {"jobs": "background jobs"}
ATTRIBUTE_TABLES.update(JOB_TABLES)
# Revision 0004 added these (and the case columns of incidents).
CASE_TABLES = {
    "departments": "departments that handle cases",
    "routes": "routing rules: category and place to department",
    "case_events": "the steps of each case",
    "photos": "photos of cases and inspections",
    "inspections": "hazard inspections",
    "calendar_days": "local working-calendar exceptions",
    "incident_counts": "cases per status, for the board",
}
ATTRIBUTE_TABLES.update(CASE_TABLES)
# Revision 0005 added these.
PUBLIC_TABLES = {
    "open311_keys": "Open311 client apps' API keys",
    "public_reports": "reports from the public and their tracking numbers",
}
ATTRIBUTE_TABLES.update(PUBLIC_TABLES)
# Revision 0007 added these (and tokens.expires).
SESSION_TABLES = {
    "sessions": "signed-in browser sessions",
    "attempts": "counts for rate limits (sign-ins, photos)",
}
ATTRIBUTE_TABLES.update(SESSION_TABLES)
# Revision 0009 added this.
CLOCK_TABLES = {"category_clocks": "a city's clocks and time limits per category"}
ATTRIBUTE_TABLES.update(CLOCK_TABLES)
# Revision 0010 added these (and ix_incidents_escalate).
SCHEDULER_TABLES = {
    "leases": "who runs the scheduler",
    "outbox": "messages to send",
    "notices": "what the scheduler has told",
    "contacts": "how people want to be told",
    "public_contacts": "public reporters who asked to be told",
}
ATTRIBUTE_TABLES.update(SCHEDULER_TABLES)
# Revision 0012 added this.
SUBMISSION_TABLES = {"submissions": "idempotency keys of reports and inspections"}
ATTRIBUTE_TABLES.update(SUBMISSION_TABLES)
# Revision 0013 added this.
LINK_TABLES = {"case_links": "duplicate cases merged into another"}
ATTRIBUTE_TABLES.update(LINK_TABLES)
# Revision 0015 added this.
REVIEW_TABLES = {"plan_reviews": "plans submitted for approval, published or sent back"}
ATTRIBUTE_TABLES.update(REVIEW_TABLES)
# The tables a copy (``etl.copy``) moves row by row (``case_rows``, ``add_case_rows``).
COPIED_ROWS = {*CASE_TABLES, *PUBLIC_TABLES, *SCHEDULER_TABLES, *LINK_TABLES, *REVIEW_TABLES}
FIXED = [
    meta,
    layers,
    generations,
    officers,
    incidents,
    hazards,
    plans,
    users,
    tokens,
    audit,
    jobs,
    *(metadata.tables[name] for name in CASE_TABLES),
    *(metadata.tables[name] for name in PUBLIC_TABLES),
    *(metadata.tables[name] for name in SESSION_TABLES),
    *(metadata.tables[name] for name in CLOCK_TABLES),
    *(metadata.tables[name] for name in SCHEDULER_TABLES),
    *(metadata.tables[name] for name in SUBMISSION_TABLES),
    *(metadata.tables[name] for name in LINK_TABLES),
    *(metadata.tables[name] for name in REVIEW_TABLES),
]


def area_table_name(layer: str) -> str:
    return f"area_{layer}"


def area_table(layer: str) -> Table:
    """The feature table of one layer's areas (layer names are checked identifiers)."""
    name = area_table_name(layer)
    if name in metadata.tables:
        return metadata.tables[name]
    table = Table(
        name,
        metadata,
        _id(),
        Column("geom", Geometry("MULTIPOLYGON"), nullable=False),
        Column("code", Text, nullable=False),
        Column("name", Text, nullable=False),
        Column("parent_code", Text),
        Column("population", Integer, nullable=False, server_default="0"),
        Column("households", Integer, nullable=False, server_default="0"),
        # Valid from generation gen_from to gen_to (open while NULL): MapIt's
        # generation_low/high.
        Column("gen_from", Integer, ForeignKey("generations.id"), nullable=False),
        Column("gen_to", Integer, ForeignKey("generations.id")),
        CheckConstraint("gen_to IS NULL OR gen_to >= gen_from", name=f"{name}_validity"),
        CheckConstraint("population >= 0 AND households >= 0", name=f"{name}_counts"),
        sqlite_autoincrement=True,
    )
    Index(f"ix_{name}_code", table.c.code)
    Index(f"ix_{name}_gen", table.c.gen_from, table.c.gen_to)
    return table
