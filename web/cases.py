"""The case loop in the browser and the API: report, the incident's page with its
timeline and the steps the caller may take, officers' and departments' lists, the
dispatcher's board, photos.  Routes parse the request and call ``gridmap.services.cases``."""

from __future__ import annotations

from datetime import datetime

import shapely.geometry
from flask import (
    Blueprint,
    Response,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from gridmap import access, workflow
from gridmap.caselist import CALLER_MARK
from gridmap.catalogue import CLOCK_STATUSES, MAJOR_CLASSES, STATUSES
from gridmap.errors import InvalidInput, NotFound
from gridmap.model import LOCAL_TZ
from gridmap.services import cases
from gridmap.settings import Settings
from web import db, i18n, params
from web.auth import allow
from web.caller import caller, may, require
from web.db import get_store, lookup_index
from web.openapi import CASE_ACTION, CASE_MERGE, CASE_REPORT, IDEMPOTENCY_KEY, documented, query

bp = Blueprint("cases", __name__)


def _settings() -> Settings:
    return db.settings()


def _calendar():
    return db.calendar()


def _photos() -> list:
    return params.photos(_settings().photo_mb * 1_000_000)


def case_view(
    case: dict, lang: str, at: datetime | None = None, departments: dict | None = None
) -> dict:
    """A case as pages and the API show it: names in ``lang``, due time and what is left
    (``departments``: the store's, when a list has read them once for its rows)."""
    at = at or cases.now()
    k = 0 if lang == "zh" else 1
    cat = _calendar().categories.get(case["category"])
    left = cases.remaining(case, _calendar(), at)
    deadline = cases.deadline(case, at)
    due = workflow.parse_utc(case.get("due_utc"))
    departments = get_store().departments() if departments is None else departments
    dept = departments.get(case.get("department"))
    view = {
        "id": case["id"],
        "category": case["category"],
        "category_name": (cat.name_zh, cat.name_en)[k] if cat else case["category"],
        "limit": cat.limit_text[k] if cat else "",
        "status": case["status"],
        "status_name": STATUSES[case["status"]][k],
        "reported_at": case["reported_at"],
        "description": case["description"],
        "reporter": case.get("reporter"),  # a list has redacted it for some readers
        "grid_code": case["grid_code"],
        "areas": case["areas"],
        "department": case.get("department"),
        "department_name": dept.name(lang) if dept else None,
        "zone_code": case.get("zone_code"),
        "due": due and due.astimezone(LOCAL_TZ).isoformat(timespec="minutes"),
        "due_text": due and due.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        "remaining_hours": None if left is None else round(left / 3600, 2),
        "overdue": deadline == "overdue",
        "due_soon": deadline == "due_soon",
        "deadline": deadline,
        "running": case["status"] in CLOCK_STATUSES,
        "on_time": case.get("on_time"),
        "review_on": case["review_on"].isoformat() if case.get("review_on") else None,
        "lon": case["lon"],
        "lat": case["lat"],
        "hazard_id": case.get("hazard_id"),
    }
    return access.redact(caller(), view)


def _event_view(e: dict, lang: str, departments: dict) -> dict:
    k = 0 if lang == "zh" else 1
    detail = dict(e["detail"])
    if detail.get("department") in departments:
        detail["department_name"] = departments[detail["department"]].name(lang)
    action = workflow.NAMED.get(e["action"])
    name = (action.zh, action.en)[k] if action else ("采集", "Report")[k]
    at = workflow.parse_utc(e["at"].replace(".000Z", "Z") if e["at"].endswith("Z") else e["at"])
    return {
        "action": e["action"],
        "action_name": name,
        "actor": e["actor"].split(":", 1)[-1],
        "at": at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if at else e["at"],
        "to_status": e["to_status"],
        "note": e["note"],
        "detail": detail,
        "photos": e["photos"],
    }


def _photo_owner(found: dict) -> dict:
    """What a photo belongs to, for the policy: its case or its hazard."""
    store = get_store()
    if found["incident_id"] is not None:
        return {"case": store.case(found["incident_id"])}
    if found.get("hazard_id") is not None:
        return {"hazard": store.hazard(found["hazard_id"])}
    return {}


# -- report ------------------------------------------------------------------------------


def category_groups(lang: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    k = 0 if lang == "zh" else 1
    groups = []
    for major, names in MAJOR_CLASSES.items():
        subs = [
            (c.code, (c.name_zh, c.name_en)[k], c.limit_text[k])
            for c in _calendar().categories.values()
            if c.code.startswith(major)
        ]
        groups.append((names[k], subs))
    return groups


@bp.route("/cases/new", methods=["GET", "POST"])
@allow(access.CASE_REPORT)
def new_case():
    if request.method == "POST":
        lon, lat = params.lonlat(request.form)
        incident_id = _report(request.form, _photos(), lon, lat, _hazard_param())
        return redirect(url_for("cases.case_page", incident_id=incident_id))
    hazard = _hazard_param()
    if hazard is not None and "lon" not in request.args:  # a case from a hazard: at the hazard
        return redirect(_at_hazard(hazard))
    return _new_case_page(hazard)


def _report(values, photos, lon: float, lat: float, hazard_id: int | None = None) -> int:
    """Report a case as the caller (for a caller, when a dispatcher names one)."""
    return cases.report(
        get_store(),
        lookup_index(),
        _calendar(),
        caller(),
        lon,
        lat,
        params.text("category", values, default=""),
        params.text("description", values, default=""),
        photos,
        reporter=_reporter(values),
        hazard_id=hazard_id,
        key=params.idempotency_key(values),
    )


def _at_hazard(hazard_id: int) -> str:
    """The report form again, placed at hazard ``hazard_id``."""
    found = get_store().hazard(hazard_id)
    values = {**request.args, "lon": f"{found['lon']:.7f}", "lat": f"{found['lat']:.7f}"}
    return url_for("cases.new_case", **values)


def _new_case_page(hazard: int | None):
    lang = i18n.language()
    store = get_store()
    preview = None
    if request.args.get("lon") and request.args.get("lat"):
        lon, lat = params.lonlat()
        preview = cases.preview(store, lookup_index(), lon, lat, params.text("category"))
    return render_template(
        "case_new.html",
        lang=lang,
        titles={x.name: i18n.layer_title(x, lang) for x in store.layers()},
        groups=category_groups(lang),
        preview=preview,
        hazard=hazard,
        values=request.args,
    )


def _reporter(values) -> str | None:
    """Who reported it, when a dispatcher takes a call for someone (a hotline caller, a
    camera); anyone else reports as themselves."""
    name = params.text("reporter", values, max_length=100)
    if not name or not may(access.CASE_FOR_CALLER):
        return None
    return f"{name}{CALLER_MARK}{current_user.name})"


def _hazard_param() -> int | None:
    return params.record_id("hazard", request.values, what="hazard")


@bp.get("/api/cases/preview")
@allow(access.CASE_PREVIEW)
@documented(
    query("lon", {"type": "number"}, "longitude", required=True),
    query("lat", {"type": "number"}, "latitude", required=True),
    query("category", {"type": "string"}, "a category code"),
)
def preview():
    lon, lat = params.lonlat()
    return jsonify(cases.preview(get_store(), lookup_index(), lon, lat, params.text("category")))


@bp.get("/api/cases/nearby")
@allow(access.CASE_PREVIEW)
@documented(
    query("lon", {"type": "number"}, "longitude", required=True),
    query("lat", {"type": "number"}, "latitude", required=True),
    query("category", {"type": "string"}, "a category code", required=True),
)
def nearby():
    """Open cases of the category near the point ("已有人上报"), nearest first: what a
    new report there may repeat."""
    lon, lat = params.lonlat()
    category = params.text("category", required=True)
    lang = i18n.language()
    metres = _settings().duplicate_metres
    found = cases.nearby(get_store(), lon, lat, category, metres)
    return jsonify(
        {
            "metres": metres,
            "cases": [
                {**case_view(c, lang), "metres": round(c["metres"])}
                for c in found
                if may(access.CASE_READ, c)
            ],
        }
    )


@bp.post("/api/cases")
@allow(access.CASE_REPORT)
@documented(IDEMPOTENCY_KEY, request_body=CASE_REPORT, status="201", more=("409",))
def report():
    values, is_json = params.json_or_form()
    photos = [] if is_json else _photos()
    hazard = params.record_id("hazard", values, what="hazard")
    incident_id = _report(values, photos, *params.lonlat(values), hazard)
    return jsonify(case_view(get_store().case(incident_id), i18n.language())), 201


# -- one case ----------------------------------------------------------------------------


def _case_data(incident_id: int, lang: str) -> tuple[dict, list, list]:
    store = get_store()
    case = store.case(incident_id)
    require(access.CASE_READ, case)
    departments = store.departments()
    events = [_event_view(e, lang, departments) for e in store.case_events(incident_id)]
    k = 0 if lang == "zh" else 1
    actions = [
        {"name": a.name, "label": (a.zh, a.en)[k], "needs": list(a.needs)}
        for a in workflow.actions_for(
            caller(),
            case["status"],
            case["grid_code"],
            case["department"],
            public=case["reporter"] == workflow.PUBLIC_REPORTER,
        )
    ]
    return case, events, actions


def _where(case: dict) -> dict:
    """Where a case is, for its page: the areas and zones by name and code and the grid
    officer (a lookup at its point in the active generation, officers hidden from who
    does not see people), and its grid's outline as GeoJSON for the small map."""
    store = get_store()
    try:
        record = lookup_index().lookup(float(case["lon"]), float(case["lat"])).record(0)
    except InvalidInput:
        record = {"areas": {}, "zones": {}, "officer": None, "zone_officers": {}}
    record = access.hide_officers(caller(), dict(record))
    grid = None
    if case.get("grid_code"):
        try:
            area = store.area("grid", case["grid_code"])
            grid = shapely.geometry.mapping(area.geometry)
        except (NotFound, KeyError, InvalidInput):
            grid = None  # a grid of an older generation, or a city without grids
    return {
        "areas": record["areas"],
        "zones": record["zones"],
        "officer": record.get("officer"),
        "grid": grid,
    }


def _links(case: dict, lang: str) -> dict:
    """The case a duplicate was merged into, the duplicates merged into it, and (for
    who may merge) open cases of its category nearby that may be duplicates of it."""
    store = get_store()
    parent = store.case_parent(case["id"])
    children = store.case_children([case["id"]]).get(case["id"], [])
    candidates = []
    if parent is None and may(access.CASE_MERGE, case):
        candidates = [
            {
                "id": c["id"],
                "metres": round(c["metres"]),
                "status_name": case_view(c, lang)["status_name"],
            }
            for c in store.nearby_open(
                float(case["lon"]),
                float(case["lat"]),
                case["category"],
                _settings().duplicate_metres,
                limit=10,
            )
            if c["id"] != case["id"] and not store.case_children([c["id"]])
        ]
    return {"parent": parent, "children": children, "candidates": candidates}


@bp.get("/cases/<int:incident_id>")
@allow(access.CASE_READ)
def case_page(incident_id: int):
    lang = i18n.language()
    case, events, actions = _case_data(incident_id, lang)
    return render_template(
        "case.html",
        lang=lang,
        case=case_view(case, lang),
        events=events,
        actions=actions,
        **_case_page_parts(case, lang),
    )


def _case_page_parts(case: dict, lang: str) -> dict:
    """What the case page shows besides the case: where it is, its links, the choices
    its step forms offer."""
    store = get_store()
    return {
        "where": _where(case),
        "titles": {x.name: i18n.layer_title(x, lang) for x in store.layers()},
        "links": _links(case, lang),
        "departments": [(d.code, d.name(lang)) for d in store.departments().values()],
        "ratings": [(k, v[0 if lang == "zh" else 1]) for k, v in workflow.RATINGS.items()],
        "today": cases.now().date().isoformat(),
    }


@bp.get("/api/cases/<int:incident_id>")
@allow(access.CASE_READ)
def case_json(incident_id: int):
    lang = i18n.language()
    case, events, actions = _case_data(incident_id, lang)
    store = get_store()
    return jsonify(
        {
            **case_view(case, lang),
            "events": events,
            "actions": actions,
            "merged_into": store.case_parent(incident_id),
            "duplicates": store.case_children([incident_id]).get(incident_id, []),
        }
    )


def _act(incident_id: int, values, photos) -> dict:
    return cases.act(
        get_store(),
        _calendar(),
        caller(),
        incident_id,
        params.text("action", values, default=""),
        note=params.text("note", values, default=""),
        photos=photos,
        department=params.text("department", values),
        review_on=params.day("review_on", values, clamp=False),
        rating=params.text("rating", values),
        expected=params.text("expected", values),
    )


@bp.post("/cases/<int:incident_id>/act")
@allow(access.CASE_ACT)
def act_form(incident_id: int):
    _act(incident_id, request.form, _photos())
    return redirect(url_for("cases.case_page", incident_id=incident_id))


@bp.post("/api/cases/<int:incident_id>/actions")
@allow(access.CASE_ACT)
@documented(request_body=CASE_ACTION, more=("409",))
def act_json(incident_id: int):
    case = _act(incident_id, params.json_body(), [])
    return jsonify(case_view(case, i18n.language()))


def _merge(parent_id: int, values) -> list[int]:
    children = values.get("children")
    if isinstance(children, str) or children is None:
        children = params.ids("children", values, what="case") or []
    elif not isinstance(children, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in children
    ):
        raise InvalidInput("children: expected a list of case ids", field="children")
    return cases.merge(
        get_store(),
        _calendar(),
        caller(),
        parent_id,
        children,
        params.text("note", values, default=""),
    )


@bp.post("/cases/<int:incident_id>/merge")
@allow(access.CASE_MERGE)
def merge_form(incident_id: int):
    """Merge the duplicates ticked on the case's page into it."""
    form = request.form
    ticked = ",".join(form.getlist("children"))
    _merge(incident_id, {"children": ticked or "", "note": form.get("note", "")})
    return redirect(url_for("cases.case_page", incident_id=incident_id))


@bp.post("/api/cases/<int:incident_id>/merge")
@allow(access.CASE_MERGE)
@documented(request_body=CASE_MERGE, more=("409",))
def merge_json(incident_id: int):
    """Merge duplicates (``children``: case ids) into this case."""
    merged = _merge(incident_id, params.json_body())
    return jsonify({"parent": incident_id, "merged": merged})


@bp.get("/photos/<int:photo_id>")
@allow(access.PHOTO_READ)
def photo(photo_id: int):
    found = get_store().photo(photo_id, thumb=request.args.get("size") == "thumb")
    require(access.PHOTO_READ, _photo_owner(found))
    response = Response(bytes(found["data"]), mimetype=found["content_type"])
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- lists and the board -----------------------------------------------------------------


@bp.get("/cases/board")
@allow(access.BOARD_READ)
def board():
    lang = i18n.language()
    data = cases.board(get_store())
    k = 0 if lang == "zh" else 1
    departments = get_store().departments()
    return render_template(
        "board.html",
        lang=lang,
        board=data,
        statuses=[(s, names[k]) for s, names in STATUSES.items()],
        departments={c: d.name(lang) for c, d in departments.items()},
        peak=max([max(r, c) for _, r, c in data["per_day"]] + [1]),
        # "另有 N 个社区" opens the board with every community's row.
        shown=None if params.choice("communities", ("all",)) else 15,
    )


@bp.get("/api/board")
@allow(access.BOARD_READ)
def board_json():
    data = cases.board(get_store())
    data["per_day"] = [
        {"day": d.isoformat(), "reports": r, "closures": c} for d, r, c in data["per_day"]
    ]
    data["overdue_by_community"] = [
        {"code": code, "name": name, "overdue": n} for code, name, n in data["overdue_by_community"]
    ]
    return jsonify(data)


def init_app(app) -> None:
    app.register_blueprint(bp)
