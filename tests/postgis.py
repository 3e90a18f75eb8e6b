"""Throw-away PostGIS databases for the tests.

The server comes from GRIDMAP_TEST_POSTGRES (an admin URL; default
postgresql://postgres@127.0.0.1:5432/postgres).  Each test session creates its own
databases and drops them at the end.  Under CI=true a server that cannot be reached
fails the tests; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlparse, urlunparse

import psycopg2
import pytest

ADMIN_URL = os.environ.get("GRIDMAP_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _with_db(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{name}"))


def _admin():
    try:
        conn = psycopg2.connect(ADMIN_URL, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        message = f"PostgreSQL at {ADMIN_URL} is not reachable: {str(exc).strip()}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the PostGIS tests; 'make test' starts it)")
        pytest.skip(message + "; set GRIDMAP_TEST_POSTGRES or run 'make test'")
    conn.autocommit = True
    return conn


def create_database(prefix: str = "gridmap_test", template: str | None = None) -> str:
    """A new database; with ``template`` (the URL of a database nobody is connected to),
    a copy of it, file by file: a second where writing the sample city anew takes half a
    minute."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    conn = _admin()
    with conn.cursor() as cur:
        if template is None:
            cur.execute(f'CREATE DATABASE "{name}"')
        else:
            source = urlparse(template).path.lstrip("/")
            cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    conn.close()
    return _with_db(ADMIN_URL, name)


def make_template(url: str) -> None:
    """Make the database at ``url`` a template to copy (closing this process's
    connections to it: CREATE DATABASE ... TEMPLATE needs it unused)."""
    from gridmap.stores.postgis import close_pools

    close_pools(url)
    name = urlparse(url).path.lstrip("/")
    conn = _admin()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
    conn.close()


def drop_database(url: str) -> None:
    from gridmap.stores.postgis import close_pools

    close_pools(url)
    name = urlparse(url).path.lstrip("/")
    conn = _admin()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    conn.close()


TABLES = (
    "case_links, submissions, leases, outbox, notices, contacts, public_contacts, "
    "category_clocks, incident_counts, public_reports, open311_keys, calendar_days, "
    "inspections, photos, case_events, routes, departments, jobs, audit, attempts, "
    "sessions, tokens, users, hazards, incidents, officers, plans, generations, layers"
)


def empty(url: str) -> None:
    """Remove every row and layer (keeping the schema) so a test starts from an empty
    store."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('layers') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename LIKE 'area\\_%%'"
            )
            for (table,) in cur.fetchall():
                cur.execute(f'DROP TABLE "{table}" CASCADE')
            cur.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
            cur.execute("UPDATE gridmap_meta SET value = '0' WHERE key = 'areas_version'")
    conn.close()
