"""The admin's pages: the audit trail (who changed what, and when)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, request

from gridmap.errors import InvalidInput
from web import i18n
from web.auth import allow
from web.db import get_store

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/audit")
@allow("admin")
def audit():
    since = request.args.get("since") or None
    try:
        day = datetime.fromisoformat(since) if since else None
    except ValueError:
        raise InvalidInput(f"since {since!r}: expected a date YYYY-MM-DD", field="since") from None
    rows = get_store().audit_log(
        day, request.args.get("user") or None, request.args.get("what") or None, limit=500
    )
    return render_template("audit.html", lang=i18n.language(), rows=rows, args=request.args)
