"""A signed-in person's notification settings: which channels tell them of their cases
(dispatch, return, escalation, due soon, closure), at which addresses, in which language."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from gridmap import access
from gridmap.services import notify
from web import i18n, params
from web.auth import allow
from web.db import get_store

bp = Blueprint("notify", __name__, url_prefix="/me")
CHANNELS = ("email", "webhook", "sms")


@bp.get("/notifications")
@allow(access.NOTIFY_SELF)
def settings_page():
    found = get_store().contacts([current_user.name]).get(current_user.name)
    return render_template("notifications.html", lang=i18n.language(), contact=found or {})


@bp.post("/notifications")
@allow(access.NOTIFY_SELF)
def save_settings():
    form = request.form
    notify.choose(
        get_store(),
        current_user.name,
        params.text("email", form, default="", max_length=254),
        params.text("phone", form, default="", max_length=32),
        params.text("webhook", form, default="", max_length=2000),
        params.choice("lang", ("zh", "en"), form, default="zh"),
        [c for c in CHANNELS if params.flag(f"by_{c}", form)],
    )
    return redirect(url_for("notify.settings_page", saved=1))
