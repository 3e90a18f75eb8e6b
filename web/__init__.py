"""The Flask web app: the officer's map and the JSON API.

``create_app(config=None)`` builds a new app; nothing is built at import time.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from typing import Any

import pyogrio
from flask import Flask

from etl.sniff import Limits
from gridmap.settings import Settings

# Uploads are opened by GDAL only after their content was checked, and only by the one
# driver it chose (etl.sniff); even so the server's GDAL never reaches the network,
# whatever a file names.
pyogrio.set_gdal_config_options(
    {"CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".gridmap-no-network", "GDAL_HTTP_TIMEOUT": "1"}
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    settings = Settings.from_env()
    app.config.update(
        DATABASE_URL=settings.database_url,
        BASEMAP=settings.basemap,
        TIANDITU_KEY=settings.tianditu_key,
        SECRET_KEY=settings.secret_key or secrets.token_hex(16),
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=settings.upload_mb * 1_000_000,
        PUBLIC_MAP=settings.public == "map",
        OGC_PUBLIC_COLLECTIONS=settings.ogc_public,
        STAGED_PUBLIC=settings.staged_public,
        INDEX_CELLS=settings.index_cells,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.https,
        UPLOAD_LIMITS=Limits(
            expanded_bytes=settings.upload_expanded_mb * 1_000_000,
            features=settings.upload_features,
        ),
    )
    app.config.update(config or {})
    app.json.ensure_ascii = False
    app.json.sort_keys = False  # answers keep their order: district before street before grid

    from etl.rehoming import large_batches
    from gridmap.stores import open_store
    from web import (
        admin,
        api,
        auth,
        case_lists,
        data,
        db,
        errors,
        evaluation,
        frame,
        generations,
        hazards,
        i18n,
        jobs,
        mapit,
        notify_pages,
        offline,
        ogc,
        open311,
        openapi,
        pages,
        params,
        plan_pages,
        planner,
        plans,
        public,
        security,
        wall,
    )

    app.extensions["gridmap_settings"] = settings  # read once, here; views use web.db.settings()
    app.extensions["gridmap_large"] = large_batches(
        settings
    )  # activations from the planner's pages
    db.init_app(app)
    app.config.setdefault("JOBS", settings.jobs)
    app.config.setdefault("JOBS_PER_USER", settings.jobs_per_user)
    runner = jobs.Runner(
        app.config["DATABASE_URL"], app.config["JOBS"], app.config["JOBS_PER_USER"]
    )
    app.extensions["gridmap_jobs"] = runner
    with open_store(app.config["DATABASE_URL"]) as store:
        runner.recover(store)
    _schedule(app, settings)
    params.init_app(app)  # before any route: <int:...> is bounded to a row's key
    errors.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    frame.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(data.bp)
    app.register_blueprint(plans.bp)
    app.register_blueprint(planner.bp)
    app.register_blueprint(plan_pages.bp)
    app.register_blueprint(generations.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(hazards.bp)
    app.register_blueprint(mapit.bp)
    app.register_blueprint(notify_pages.bp)
    app.register_blueprint(wall.bp)
    app.register_blueprint(ogc.bp)
    app.register_blueprint(openapi.bp)
    case_lists.init_app(app)  # the case pages and lists: one blueprint
    open311.init_app(app)
    public.init_app(app)
    evaluation.init_app(app)
    offline.init_app(app)
    return app


def upload_sweep(directory: str | None = None) -> Callable[[], int]:
    """The upload clean-up the scheduler runs each tick (the server's and ``gridmap
    worker``'s): uploads in ``directory`` (default: the data page's) that waited too
    long for their confirmation go, even when no other upload comes."""
    from etl.uploads import sweep_uploads
    from web.data import upload_root

    root = upload_root(directory)
    return lambda: sweep_uploads(root)


def scheduler_for(database_url: str, settings: Settings | None = None, upload_dir=None):
    """The scheduler (``services.scheduler``) of a server on ``database_url``, ticking every
    ``GRIDMAP_TICK_SECONDS`` (of all the processes on the store, the one holding its lease
    does the work); None when ``GRIDMAP_SCHEDULER`` leaves it to a ``gridmap worker``.
    ``gridmap serve`` runs it in a process beside its workers."""
    from gridmap.services.scheduler import Scheduler
    from gridmap.stores import open_store

    settings = settings or Settings.from_env()
    if not settings.scheduler:
        return None
    return Scheduler(
        lambda: open_store(database_url, actor="system"), settings, upload_sweep(upload_dir)
    )


def _schedule(app: Flask, settings: Settings) -> None:
    """The app's own scheduler thread, for a server other than ``gridmap serve`` (which
    runs it beside its workers and turns this off): started here and with any request
    (threads do not survive a fork).  Off when ``SCHEDULER`` is false (default:
    ``GRIDMAP_SCHEDULER``, and off under TESTING: tests call the service).  Pages only
    read."""
    if not app.config.setdefault("SCHEDULER", settings.scheduler and not app.testing):
        return
    every = app.config.setdefault("TICK_SECONDS", settings.tick_seconds)
    tuned = dataclasses.replace(settings, tick_seconds=every, scheduler=True)
    scheduler = scheduler_for(app.config["DATABASE_URL"], tuned, app.config.get("UPLOAD_DIR"))
    app.extensions["gridmap_scheduler"] = scheduler
    scheduler.ensure_started()

    @app.before_request
    def _start_scheduling() -> None:
        scheduler.ensure_started()
