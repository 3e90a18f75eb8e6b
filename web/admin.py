"""The admin's pages: the audit trail (who changed what, and when), the routing rules
(which department gets a case), with a "who would get this?" test, the users with their
live sessions ("sign out everywhere") and their accounts (added, disabled, enabled, given
a new password, tokens revoked, sign-in history: ``gridmap.services.users``), and the
layers (their kind, titles and parent; retiring one)."""

from __future__ import annotations

import json
from datetime import datetime, time, timezone

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from gridmap import access
from gridmap.catalogue import CATEGORIES, KINDS, MAJOR_CLASSES
from gridmap.errors import InvalidInput, NotFound, say
from gridmap.model import LAYER_KINDS, LOCAL_TZ
from gridmap.routing import Rule
from gridmap.services import cases, sessions
from gridmap.services import layers as layer_service
from gridmap.services import users as user_service
from gridmap.spreadsheet import csv_text
from web import frame, i18n, params
from web.auth import allow
from web.caller import caller
from web.db import get_store, lookup_index
from web.errors import wants_page

bp = Blueprint("admin", __name__, url_prefix="/admin")
POSITIONS = 1_000_000  # a rule's position: from minus this to this


@bp.get("/audit")
@allow(access.AUDIT_READ)
def audit():
    rows = _audit_rows()
    return render_template("audit.html", lang=i18n.language(), rows=rows, args=request.args)


@bp.get("/audit.csv")
@allow(access.AUDIT_READ)
def audit_csv():
    header = [str(text) for text in AUDIT_COLUMNS]
    return Response(
        csv_text(header, (_audit_cells(r) for r in _audit_rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


AUDIT_COLUMNS = [
    _l("When"),
    _l("Who"),
    _l("What"),
    _l("Target"),
    _l("Before"),
    _l("After"),
]
AUDIT_ROWS = 500  # the newest rows the page and its CSV show


def _audit_rows() -> list[dict]:
    """The audit rows the page's filters ask for, newest first."""
    since = params.day("since")
    # the city's midnight, as the store's UTC times count
    day = since and datetime.combine(since, time.min, LOCAL_TZ).astimezone(timezone.utc)
    what = params.text("what")
    return get_store().audit_log(day, params.text("user"), what, limit=AUDIT_ROWS)


def _audit_cells(row: dict) -> list:
    def shown(value):
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    at = local_time(row["at"])
    return [
        at,
        row["actor"],
        row["action"],
        row["target"],
        *map(shown, (row["before"], row["after"])),
    ]


def changes(before: dict | None, after: dict | None) -> list[tuple[str, object, object]]:
    """Before and after as rows a person reads: each key once, with its value before and
    after (None: not there), keys that kept their value last."""
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", before or None, after or None)]
    keys = list(dict.fromkeys([*before, *after]))
    keys.sort(key=lambda k: before.get(k) == after.get(k))
    return [(k, before.get(k), after.get(k)) for k in keys]


@bp.get("/routes")
@allow(access.ROUTING_READ)
def routes():
    return _routes_page()


def _routes_page(error: InvalidInput | None = None, values=None, status: int = 200):
    """The responsibility list; after a refused change, with what was typed and why."""
    store = get_store()
    page = render_template(
        "routes.html",
        lang=i18n.language(),
        rules=store.rules(),
        test=None if error else _who_would_get(store),
        args=request.args,
        values=values or {},
        error=error and {"field": error.field, "message": i18n.refusal(error)},
        **_rule_choices(store),
    )
    return page, status


def _rule_choices(store) -> dict:
    """What a rule's form offers: departments, layers, categories (with their names)."""
    return {
        "departments": store.departments(),
        "layers": {x.name: x for x in store.layers()},
        "categories": {code: CATEGORIES[code] for code in sorted(CATEGORIES)},
        "major_classes": {**KINDS, **MAJOR_CLASSES},  # the prefixes a rule may give
    }


def _who_would_get(store) -> dict | None:
    """The page's test: who would get a case of ``category`` at ``lon``, ``lat``."""
    if not (request.args.get("lon") and request.args.get("lat")):
        return None
    lon, lat = params.lonlat()
    return cases.preview(store, lookup_index(), lon, lat, params.text("category", default=""))


def _posted_rule() -> Rule:
    """The rule a form posts (add or edit); the store checks it, naming a bad field."""
    form = request.form
    return Rule(
        params.integer("position", None, -POSITIONS, POSITIONS, form, required=True),
        params.text("category", form, default=""),
        params.text("layer", form),
        params.text("area_code", form),
        params.text("department", form, default=""),
    )


@bp.post("/routes")
@allow(access.ROUTING_WRITE)
def add_route():
    try:
        get_store().add_rule(_posted_rule())
        frame.toast(gettext("Rule added"))
    except InvalidInput as error:
        if not wants_page():
            raise
        return _routes_page(error, request.form, 400)
    return redirect(url_for("admin.routes"))


@bp.get("/routes/<int:rule_id>")
@allow(access.ROUTING_WRITE)
def edit_route(rule_id: int):
    rule = next((r for r in get_store().rules() if r.id == rule_id), None)
    if rule is None:
        raise NotFound(say("no routing rule {rule_id}", rule_id=rule_id))
    return _edit_page(rule, {k: v or "" for k, v in rule.__dict__.items()})


def _edit_page(rule: Rule, values, error: InvalidInput | None = None, status: int = 200):
    page = render_template(
        "route_edit.html",
        lang=i18n.language(),
        rule=rule,
        values=values,
        error=error and {"field": error.field, "message": i18n.refusal(error)},
        **_rule_choices(get_store()),
    )
    return page, status


@bp.post("/routes/<int:rule_id>")
@allow(access.ROUTING_WRITE)
def change_route(rule_id: int):
    store = get_store()
    try:
        store.change_rule(rule_id, _posted_rule())
    except InvalidInput as error:
        rule = next((r for r in store.rules() if r.id == rule_id), None)
        if rule is None or not wants_page():
            raise
        return _edit_page(rule, request.form, error, 400)
    return redirect(url_for("admin.routes", _anchor=f"rule-{rule_id}"))


@bp.post("/routes/<int:rule_id>/move")
@allow(access.ROUTING_WRITE)
def move_route(rule_id: int):
    direction = params.choice("direction", ("up", "down"), request.form, required=True)
    get_store().move_rule(rule_id, -1 if direction == "up" else 1)
    return redirect(url_for("admin.routes", _anchor=f"rule-{rule_id}"))


@bp.post("/routes/<int:rule_id>/delete")
@allow(access.ROUTING_WRITE)
def remove_route(rule_id: int):
    get_store().remove_rule(rule_id)
    frame.toast(gettext("Rule deleted"))
    return redirect(url_for("admin.routes"))


@bp.record_once
def _template_names(state) -> None:
    env = state.app.jinja_env.globals
    env.update(role_name=i18n.role_name, sign_in_event=i18n.sign_in_event)
    env.update(end_reason=i18n.end_reason, audit_changes=changes)
    env.update(audit_action=i18n.audit_action, actor_name=i18n.actor_name)
    env.update(audit_field=i18n.audit_field)


@bp.app_template_filter("local_time")
def local_time(at: str | None) -> str:
    """A stored instant (UTC text) in the city's time zone, to the second."""
    if not at:
        return ""
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


@bp.get("/users")
@allow(access.USERS_MANAGE)
def users():
    accounts = user_service.overview(get_store(), caller())
    return render_template("users.html", lang=i18n.language(), accounts=accounts)


@bp.get("/users/new")
@allow(access.USERS_MANAGE)
def new_user():
    return _user_form({})


def _user_form(values, error: InvalidInput | None = None, status: int = 200):
    """The form to add a user, with what was typed and the error beside its field."""
    page = render_template(
        "user_new.html",
        lang=i18n.language(),
        roles=access.ROLES,
        departments=get_store().departments(),
        values=values,
        error=error and {"field": error.field, "message": i18n.refusal(error)},
    )
    return page, status


@bp.post("/users/new")
@allow(access.USERS_MANAGE)
def add_user():
    form = request.form
    values = {
        "name": params.text("name", form, default="", max_length=200),
        "roles": params.every("role", form),
        "areas": params.words("areas", form),
        "department": params.text("department", form),
    }
    try:
        made, password = user_service.add(get_store(), caller(), **values)
    except InvalidInput as error:
        return _user_form(values, error, 400)
    return _password_page(made.name, password, new=True)


def _password_page(name: str, password: str, new: bool):
    """The one page that shows a generated password: never cached, never shown again."""
    page = render_template(
        "user_password.html", lang=i18n.language(), name=name, password=password, new=new
    )
    return page, 200, {"Cache-Control": "no-store"}


@bp.get("/users/account")
@allow(access.USERS_MANAGE)
def user_account():
    name = params.text("name", required=True, max_length=200)
    store, who = get_store(), caller()
    return render_template(
        "user_account.html",
        lang=i18n.language(),
        account=user_service.account(store, who, name),
        tokens=user_service.tokens(store, who, name),
        history=user_service.history(store, who, name),
        departments={c: d.name(i18n.language()) for c, d in store.departments().items()},
    )


def _named() -> str:
    return params.text("name", request.form, required=True, max_length=200)


def _back(name: str):
    return redirect(url_for("admin.user_account", name=name))


@bp.post("/users/disable")
@allow(access.USERS_MANAGE)
def disable_user():
    name = _named()
    user_service.set_active(get_store(), caller(), name, False)
    return _back(name)


@bp.post("/users/enable")
@allow(access.USERS_MANAGE)
def enable_user():
    name = _named()
    user_service.set_active(get_store(), caller(), name, True)
    return _back(name)


@bp.post("/users/password")
@allow(access.USERS_MANAGE)
def reset_password():
    name = _named()
    password = user_service.new_password(get_store(), caller(), name)
    return _password_page(name, password, new=False)


@bp.post("/users/tokens/revoke")
@allow(access.USERS_MANAGE)
def revoke_token():
    name = _named()
    token_id = params.record_id("token", request.form, what="token", required=True)
    user_service.revoke_token(get_store(), caller(), token_id, name)
    return _back(name)


@bp.post("/users/sign-out")
@allow(access.USERS_MANAGE)
def sign_out_everywhere():
    name = params.text("name", request.form, required=True, max_length=200)
    tokens = params.flag("tokens", request.form)
    sessions.sign_out_everywhere(get_store(), caller(), name, tokens)
    return redirect(url_for("admin.users"))


@bp.get("/layers")
@allow(access.LAYER_WRITE)
def layers():
    store = get_store()
    found = store.layers(retired=True)
    gen = store.generation()
    return render_template(
        "layers.html",
        lang=i18n.language(),
        layers=found,
        counts={x.name: store.count_areas(x.name, gen.id) for x in found},
        kinds=i18n.LAYER_KINDS,
        titles={x.name: i18n.layer_title(x, i18n.language()) for x in found},
    )


@bp.post("/layers/<name>")
@allow(access.LAYER_WRITE)
def change_layer(name: str):
    form = request.form
    layer_service.change(
        get_store(),
        name,
        params.choice("kind", LAYER_KINDS, form),
        params.text("title_zh", form, max_length=layer_service.MAX_TITLE),
        params.text("title_en", form, max_length=layer_service.MAX_TITLE),
        params.text("parent", form, default=""),
    )
    return redirect(url_for("admin.layers"))


@bp.post("/layers/<name>/retire")
@allow(access.LAYER_WRITE)
def retire_layer(name: str):
    layer_service.retire(get_store(), name)
    return redirect(url_for("admin.layers"))
