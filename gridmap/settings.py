"""Settings, read once from the environment and checked at start-up."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from gridmap.errors import InvalidInput, say

BASEMAPS = ("none", "osm", "tianditu", "amap")


@dataclass(frozen=True)
class Settings:
    # GRIDMAP_DATABASE_URL: gpkg:///path/file.gpkg or postgresql://user@host/db;
    # default: the embedded GeoPackage var/gridmap.gpkg under the current directory
    # (filled in by from_env; Settings() alone is the defaults of everything else, for
    # code that needs no store).
    database_url: str = ""
    # GRIDMAP_BASEMAP: none (default, works offline), osm, tianditu or amap.
    basemap: str = "none"
    # GRIDMAP_TIANDITU_KEY: the Tianditu "tk" key; needed only with basemap=tianditu.
    tianditu_key: str = ""
    # GRIDMAP_SECRET_KEY: signs web sessions; a random one per start when unset.
    secret_key: str = ""
    # GRIDMAP_GRID_CODE_WIDTH: digits of the grid sequence in grid codes, 2 (CJ/T 213,
    # 14-digit codes, default) or 3 (DB11/T 2157-2023, 15 digits).
    grid_code_width: int = 2
    # GRIDMAP_GRID_HOUSEHOLDS: households per social-governance grid, "min-max"
    # (default 300-500: common practice, not a located standard).
    grid_households: tuple[int, int] = (300, 500)
    # GRIDMAP_UPLOAD_MB: the largest upload the web app accepts (default 200 MB).
    upload_mb: int = 200
    # GRIDMAP_UPLOAD_EXPANDED_MB: what an uploaded zip may expand to (default 1000 MB).
    upload_expanded_mb: int = 1000
    # GRIDMAP_UPLOAD_FEATURES: features or rows an uploaded file may hold (default
    # 1,000,000; larger files go through the gridmap command).
    upload_features: int = 1_000_000
    # GRIDMAP_PUBLIC: what anonymous callers may read: "map" (default: the map, its
    # boundaries, incidents and hazards, lookups without officers' names and phones) or
    # "none" (everything needs signing in).
    public: str = "map"
    # GRIDMAP_CITY_NAME: the city's name at the head of every page (such as 大庆市);
    # default: none, the header then names the product alone.
    city_name: str = ""
    # GRIDMAP_CITY_MARK: the city's mark beside its name, an image the browser may load
    # (a path on this server such as /static/mark.svg, or a data: URL: pages load nothing
    # from other hosts); default: gridmap's own mark.
    city_mark: str = ""
    # GRIDMAP_OGC_PUBLIC: the OGC API collections anonymous callers see, comma-separated
    # (default: all of them; signed-in callers always see all).
    ogc_public: tuple[str, ...] | None = None
    # GRIDMAP_STAGED_PUBLIC: 1 when anonymous callers may read staged generations (a
    # city showing its new boundaries before they take effect); default: planners and
    # admins only.  Even then a staged generation's lookup index is built only for a
    # signed-in user.
    staged_public: bool = False
    # GRIDMAP_JOBS: background jobs (automatic plans) one server process runs at once.
    jobs: int = 2
    # GRIDMAP_JOBS_PER_USER: jobs a user may have queued or running, in all processes.
    jobs_per_user: int = 2
    # GRIDMAP_SESSION_IDLE_MINUTES: a browser session unused this long ends (default 120).
    session_idle_minutes: int = 120
    # GRIDMAP_SESSION_HOURS: a browser session ends this long after its sign-in, used or not
    # (default 12: a working day with overtime; the next day starts with a sign-in).
    session_hours: int = 12
    # GRIDMAP_HTTPS: 1 when the app is served over TLS (cookies then carry Secure).
    https: bool = False
    # GRIDMAP_WORK_HOURS: the working hours case deadlines count (default
    # 08:30-12:00,13:30-17:30); working days follow China's official calendar.
    work_hours: str = "08:30-12:00,13:30-17:30"
    # GRIDMAP_WARN_SHARE: the share of a case's time limit after which it is due soon
    # (预警, yellow; overdue, red, once all of it is used): default 0.8.
    warn_share: float = 0.8
    # GRIDMAP_DUPLICATE_METRES: open cases of the same category within this distance of a
    # new report are shown first ("已有人上报"), to follow instead of reporting again
    # (default 50 m: a pothole, a broken lamp seen from across the street).
    duplicate_metres: int = 50
    # GRIDMAP_REOPEN_DAYS: how many days after 结案 a public reporter not satisfied may
    # reopen (重办) the case (default 7).
    reopen_days: int = 7
    # GRIDMAP_MIN_RATINGS: the public statistics (and the monthly evaluation, which also
    # scores it only then) show a satisfaction rate only from this
    # many ratings (default 5: one unhappy rating is no department's 0%).
    min_ratings: int = 5
    # GRIDMAP_PHOTO_MB: the largest photo a report or step may carry (default 8 MB).
    photo_mb: int = 8
    # GRIDMAP_INSPECT_DAYS: days between hazard inspections for risk levels 1-4
    # (major, serious, moderate, low; default 7,30,90,180: local practice, not a standard).
    inspect_days: tuple[int, int, int, int] = (7, 30, 90, 180)
    # GRIDMAP_DASK_REHOME_ROWS: an activation re-homing more open incidents (or hazards)
    # than this looks them up on Dask (default 5,000,000: below it one process is faster
    # than starting a local cluster; see benchmarks/rehome_bench.py).
    dask_rehome_rows: int = 5_000_000
    # GRIDMAP_DASK_SCHEDULER: the Dask scheduler for that (tcp://host:8786); default: a
    # local cluster of two worker processes, started for the activation.
    dask_scheduler: str = ""
    # GRIDMAP_INDEX_CELLS: the resolution of a layer's lookup index: how many of its finest
    # cells would cover the layer's whole box (default 8,388,608; only the cells near a
    # boundary are kept: 15 MB for the sample city, built in half a second).  Answers are
    # exact whatever the number; fewer cells build faster and answer a point near a
    # border a little slower (the tests use 65,536).
    index_cells: int = 1 << 23
    # GRIDMAP_TICK_SECONDS: how often the scheduler runs its duties (escalation, due-soon
    # warnings, inspection reminders, upload clean-up, sending notifications); default 60.
    tick_seconds: float = 60.0
    # GRIDMAP_LEASE_SECONDS: how long a process keeps the scheduler's lease without
    # renewing it (default: three ticks); another process takes over after that.
    lease_seconds: float = 0.0
    # GRIDMAP_SCHEDULER: 1 (default) runs the scheduler in every server process (one of
    # them holds the lease); 0 leaves it to a separate `gridmap worker`.
    scheduler: bool = True
    # GRIDMAP_SMTP: the mail server notifications go through, host:port (default: none;
    # mails wait in the outbox until one is set).
    smtp: str = ""
    # GRIDMAP_MAIL_FROM: the sender of notification mails.
    mail_from: str = "gridmap@localhost"
    # GRIDMAP_WEBHOOK_URL: the city's group robot (WeChat Work or DingTalk webhook) for
    # people who chose the webhook channel without a robot of their own.
    webhook_url: str = ""
    # GRIDMAP_SMS_URL: the SMS gateway, a webhook taking {"phone", "msgtype", "text"}.
    sms_url: str = ""
    # GRIDMAP_OPEN311_CONTACT: how Open311 client developers reach the operator (an
    # address, a mail box), shown as discovery's ``contact``; default: this server's
    # administrators at its own address.
    open311_contact: str = ""
    # GRIDMAP_EVAL_WEIGHTS: the monthly evaluation's score (考核), the weights of its five
    # parts, name=number: dispatched on time, handled on time, not reworked, not
    # escalated, public satisfaction (default dispatch=20,handle=30,rework=15,
    # escalate=10,satisfaction=25; local practice, not a standard).  A part without cases
    # to judge (nothing handled, too few ratings) is left out and the rest re-weighted.
    eval_weights: tuple[tuple[str, float], ...] = (
        ("dispatch", 20.0),
        ("handle", 30.0),
        ("rework", 15.0),
        ("escalate", 10.0),
        ("satisfaction", 25.0),
    )
    # GRIDMAP_DISPATCH_HOURS: a case is dispatched on time within this many hours of its
    # report, round the clock (default 24; counted in SQL, so natural hours, not the
    # working calendar).
    dispatch_hours: float = 24.0
    # GRIDMAP_HOTSPOT_RADIUS_M: cases of one category closer than this (metres) belong to
    # one place where a problem comes back (default 150).
    hotspot_radius_m: float = 150.0
    # GRIDMAP_HOTSPOT_MONTHS: how many months back hotspots are looked for (default 6).
    hotspot_months: int = 6
    # GRIDMAP_HOTSPOT_CASES: cases of one category a place needs to be a hotspot (default 4).
    hotspot_cases: int = 4

    @property
    def lease(self) -> float:
        """Seconds the scheduler's lease lasts: the setting, or three ticks."""
        return self.lease_seconds or 3 * self.tick_seconds

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        default_db = f"gpkg://{(Path.cwd() / 'var' / 'gridmap.gpkg').resolve()}"
        basemap = env.get("GRIDMAP_BASEMAP", "none").strip().lower()
        if basemap not in BASEMAPS:
            raise InvalidInput(
                say(
                    "GRIDMAP_BASEMAP={basemap!r}: expected one of {basemaps}",
                    basemap=basemap,
                    basemaps=", ".join(BASEMAPS),
                ),
                field="GRIDMAP_BASEMAP",
            )
        key = env.get("GRIDMAP_TIANDITU_KEY", "")
        if basemap == "tianditu" and not key:
            raise InvalidInput(
                say("GRIDMAP_BASEMAP=tianditu needs GRIDMAP_TIANDITU_KEY (a Tianditu 'tk' key)"),
                field="GRIDMAP_TIANDITU_KEY",
            )
        width = env.get("GRIDMAP_GRID_CODE_WIDTH", "2")
        if width not in ("2", "3"):
            raise InvalidInput(
                say("GRIDMAP_GRID_CODE_WIDTH={width!r}: expected 2 or 3", width=width),
                field="GRIDMAP_GRID_CODE_WIDTH",
            )
        households = env.get("GRIDMAP_GRID_HOUSEHOLDS", "300-500")
        try:
            lo, hi = (int(v) for v in households.split("-"))
            if not 0 < lo <= hi:
                raise ValueError
        except ValueError:
            raise InvalidInput(
                say(
                    "GRIDMAP_GRID_HOUSEHOLDS={households!r}: expected min-max, such as 300-500",
                    households=households,
                ),
                field="GRIDMAP_GRID_HOUSEHOLDS",
            ) from None
        public = env.get("GRIDMAP_PUBLIC", "map").strip().lower()
        if public not in ("map", "none"):
            raise InvalidInput(
                say("GRIDMAP_PUBLIC={public!r}: expected map or none", public=public),
                field="GRIDMAP_PUBLIC",
            )
        from gridmap.workcal import parse_hours

        hours = env.get("GRIDMAP_WORK_HOURS", cls.work_hours)
        parse_hours(hours)
        intervals = env.get("GRIDMAP_INSPECT_DAYS", "7,30,90,180")
        try:
            inspect_days = tuple(int(v) for v in intervals.split(","))
            if len(inspect_days) != 4 or min(inspect_days) <= 0:
                raise ValueError
        except ValueError:
            raise InvalidInput(
                say(
                    "GRIDMAP_INSPECT_DAYS={intervals!r}: expected four day counts such as "
                    "7,30,90,180",
                    intervals=intervals,
                ),
                field="GRIDMAP_INSPECT_DAYS",
            ) from None
        mark = env.get("GRIDMAP_CITY_MARK", "").strip()
        if (
            mark
            and not (mark.startswith("/") and not mark.startswith("//"))
            and not (mark.startswith("data:image/"))
        ):
            raise InvalidInput(
                f"GRIDMAP_CITY_MARK={mark[:60]!r}: expected a path on this server "
                "(/static/...) or a data:image/ URL",
                field="GRIDMAP_CITY_MARK",
            )
        return cls(
            city_name=env.get("GRIDMAP_CITY_NAME", "").strip()[:40],
            city_mark=mark,
            work_hours=hours,
            warn_share=_share(env, "GRIDMAP_WARN_SHARE", 0.8),
            inspect_days=inspect_days,
            photo_mb=_positive(env, "GRIDMAP_PHOTO_MB", 8),
            duplicate_metres=_positive(env, "GRIDMAP_DUPLICATE_METRES", 50),
            reopen_days=_positive(env, "GRIDMAP_REOPEN_DAYS", 7),
            min_ratings=_positive(env, "GRIDMAP_MIN_RATINGS", 5),
            public=public,
            ogc_public=_names(env.get("GRIDMAP_OGC_PUBLIC")),
            session_idle_minutes=_positive(env, "GRIDMAP_SESSION_IDLE_MINUTES", 120),
            session_hours=_positive(env, "GRIDMAP_SESSION_HOURS", 12),
            https=_flag(env, "GRIDMAP_HTTPS"),
            staged_public=_flag(env, "GRIDMAP_STAGED_PUBLIC"),
            jobs=_positive(env, "GRIDMAP_JOBS", 2),
            jobs_per_user=_positive(env, "GRIDMAP_JOBS_PER_USER", 2),
            upload_mb=_positive(env, "GRIDMAP_UPLOAD_MB", 200),
            upload_expanded_mb=_positive(env, "GRIDMAP_UPLOAD_EXPANDED_MB", 1000),
            upload_features=_positive(env, "GRIDMAP_UPLOAD_FEATURES", 1_000_000),
            database_url=env.get("GRIDMAP_DATABASE_URL") or default_db,
            basemap=basemap,
            tianditu_key=key,
            secret_key=env.get("GRIDMAP_SECRET_KEY", ""),
            grid_code_width=int(width),
            grid_households=(lo, hi),
            dask_rehome_rows=_positive(env, "GRIDMAP_DASK_REHOME_ROWS", 5_000_000),
            dask_scheduler=env.get("GRIDMAP_DASK_SCHEDULER", "").strip(),
            index_cells=_positive(env, "GRIDMAP_INDEX_CELLS", 1 << 23),
            tick_seconds=_seconds(env, "GRIDMAP_TICK_SECONDS", 60.0),
            lease_seconds=_seconds(env, "GRIDMAP_LEASE_SECONDS", 0.0, zero=True),
            scheduler=env.get("GRIDMAP_SCHEDULER", "1").strip() in ("1", "true", "yes"),
            smtp=env.get("GRIDMAP_SMTP", "").strip(),
            mail_from=env.get("GRIDMAP_MAIL_FROM", "gridmap@localhost").strip(),
            webhook_url=env.get("GRIDMAP_WEBHOOK_URL", "").strip(),
            sms_url=env.get("GRIDMAP_SMS_URL", "").strip(),
            open311_contact=env.get("GRIDMAP_OPEN311_CONTACT", "").strip(),
            eval_weights=_weights(env, "GRIDMAP_EVAL_WEIGHTS", cls.eval_weights),
            dispatch_hours=_seconds(env, "GRIDMAP_DISPATCH_HOURS", 24.0),
            hotspot_radius_m=_seconds(env, "GRIDMAP_HOTSPOT_RADIUS_M", 150.0),
            hotspot_months=_positive(env, "GRIDMAP_HOTSPOT_MONTHS", 6),
            hotspot_cases=_positive(env, "GRIDMAP_HOTSPOT_CASES", 4),
        )


def _flag(env: dict[str, str], name: str) -> bool:
    return env.get(name, "0").strip().lower() in ("1", "true", "yes")


def _positive(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default)).strip().replace("_", "")
    if not raw.isdigit() or int(raw) <= 0:
        raise InvalidInput(
            say("{name}={raw!r}: expected a whole number above 0", name=name, raw=raw), field=name
        )
    return int(raw)


def _share(env: dict[str, str], name: str, default: float) -> float:
    """A share above 0 and below 1, in ASCII digits ("0.8")."""
    raw = env.get(name, str(default)).strip()
    if not re.fullmatch(r"0?\.[0-9]{1,6}", raw) or float(raw) == 0:
        raise InvalidInput(
            say(
                "{name}={raw!r}: expected a share between 0 and 1, such as 0.8", name=name, raw=raw
            ),
            field=name,
        )
    return float(raw)


def _seconds(env: dict[str, str], name: str, default: float, zero: bool = False) -> float:
    raw = env.get(name, str(default)).strip()
    # ASCII digits only: float() would take other scripts' digits, "nan" and "inf".
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", raw) or not (float(raw) > 0 or zero):
        raise InvalidInput(
            say("{name}={raw!r}: expected a number of seconds above 0", name=name, raw=raw),
            field=name,
        )
    return float(raw)


def _names(raw: str | None) -> tuple[str, ...] | None:
    """Comma-separated names, or None when the variable is not set."""
    if raw is None:
        return None
    return tuple(n.strip() for n in raw.split(",") if n.strip())


def _weights(
    env: dict[str, str], name: str, default: tuple[tuple[str, float], ...]
) -> tuple[tuple[str, float], ...]:
    """``dispatch=20,handle=30,...``: a weight (a number of 0 or more) for each of the
    default's names, in its order; a name not given keeps its default."""
    raw = env.get(name)
    if raw is None:
        return default
    known = dict(default)
    given: dict[str, float] = {}
    for part in raw.split(","):
        key, _, value = part.partition("=")
        key = key.strip()
        if key not in known or not re.fullmatch(r"[0-9]+(\.[0-9]+)?", value.strip()):
            raise InvalidInput(
                f"{name}={raw!r}: expected name=number for names among {', '.join(known)}",
                field=name,
            )
        given[key] = float(value)
    out = tuple((k, given.get(k, v)) for k, v in default)
    if not sum(v for _, v in out) > 0:
        raise InvalidInput(f"{name}={raw!r}: at least one weight above 0", field=name)
    return out
