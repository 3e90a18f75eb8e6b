"""Case lists in the browser, as CSV and as JSON: the dispatcher's, a department's
(``/cases/queue``), an officer's (``/cases/mine``, with the inspections due), the
dispatcher's board whose counts open them.  Routes on ``web.cases``'s blueprint (the
frame links to ``cases.mine`` and ``cases.queue``); they parse the request and call
``gridmap.services.caselists``."""

from __future__ import annotations

from flask import Response, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_login import current_user

from gridmap import access, caselist
from gridmap.caselist import REPORTER_KINDS, SORTS, CaseFilter
from gridmap.catalogue import STATUSES
from gridmap.services import caselists, cases
from gridmap.spreadsheet import csv_text
from web import cases as case_pages
from web import i18n, params
from web.auth import allow
from web.caller import caller, require
from web.cases import bp, case_view, category_groups
from web.db import get_store

FILTERS = (
    "q",
    "status",
    "category",
    "department",
    "community",
    "due_soon",
    "overdue",
    "escalated",
    "since",
    "until",
    "reporter_kind",
    "sort",
    "per_page",
)  # what a list's links carry from page to page and to its CSV


def _request(department: str | None = None) -> dict:
    """A list's filters, order and page as the request gives them (each bad value a
    400 naming its parameter)."""
    f = CaseFilter.asked(
        status=params.choice("status", (caselist.OPEN, caselist.ANY, *STATUSES)),
        q=params.text("q", max_length=200),
        category=params.text("category", max_length=16),
        department=department or params.text("department", max_length=64),
        due_soon=params.flag("due_soon"),
        overdue=params.flag("overdue"),
        escalated=params.flag("escalated"),
        since=params.day("since"),
        until=params.day("until"),
        reporter_kind=params.choice("reporter_kind", tuple(REPORTER_KINDS)),
    )
    return {
        "f": f,
        "community": params.text("community", max_length=64),
        "sort": params.choice("sort", tuple(SORTS)),
        "page": params.integer("page", 1, 1, 1_000_000),
        "per_page": params.integer("per_page", caselist.PER_PAGE, 1, caselist.MAX_PER_PAGE),
    }


def _listing(department: str | None = None, **more) -> dict:
    asked = _request(department)
    return caselists.listing(get_store(), caller(), **{**asked, **more})


def _rows(found: dict, lang: str) -> list[dict]:
    departments = get_store().departments()
    out = []
    for r in found["rows"]:
        view = case_view(r, lang, found["at"], departments)
        view.update({k: r[k] for k in ("grid_name", "community_code", "community_name")})
        out.append(view)
    return out


def _page(title: tuple[str, str], department: str | None = None, hazards=None, fixed=(), grids=()):
    lang = i18n.language()
    found = _listing(department)
    store = get_store()
    k = 0 if lang == "zh" else 1
    fixed = dict(fixed)
    args = {n: request.args[n] for n in FILTERS if request.args.get(n) and n not in fixed}
    return render_template(
        "cases_list.html",
        lang=lang,
        title=title[k],
        found=found,
        cases=_rows(found, lang),
        hazards=hazards,
        args=args,
        fixed=fixed,
        keep={**args, **fixed},
        statuses=[(c, n[k]) for c, n in STATUSES.items()],
        sorts=[(c, n[k]) for c, n in SORTS.items()],
        kinds=[(c, n[k]) for c, n in REPORTER_KINDS.items()],
        groups=category_groups(lang),
        departments=[(d.code, d.name(lang)) for d in store.departments().values()],
        communities=caselists.communities(store),
        csv=url_for("cases.case_list_csv", **args, **fixed),
        csv_rows=caselists.CSV_ROWS,
        grids=grids,
    )


@bp.get("/cases")
@allow(access.CASES_LIST)
def case_list():
    return _page(("案件列表", "Cases"))


@bp.get("/cases/mine")
@allow(access.CASES_MINE)
def mine():
    store, areas = get_store(), list(current_user.user.areas)
    due = store.hazards_due(cases.now().date(), grids=areas)
    return _page(("我的待办", "My cases"), hazards=due, grids=_my_grids(store, areas))


MY_GRIDS = 60  # grid links on an officer's list (an officer of a whole district has hundreds)


def _my_grids(store, areas: list[str]) -> list[dict]:
    """The grids an officer covers (their areas are grid codes or their starts)."""
    names = store.area_names("grid") if areas else {}
    mine = sorted(code for code in names if any(code.startswith(a) for a in areas))
    return [{"code": code, "name": names[code][0]} for code in mine[:MY_GRIDS]]


@bp.get("/cases/queue")
@allow(access.CASES_QUEUE)
def queue():
    department = params.text("department") or current_user.user.department
    require(access.CASES_QUEUE, department)
    name = get_store().departments().get(department)
    title = (f"{name.name_zh}待办", f"{name.name_en}: queue") if name else ("部门待办", "Queue")
    return _page(title, department, fixed=(("department", department),) if department else ())


@bp.get("/api/cases")
@allow(access.CASES_LIST)
def case_list_json():
    lang = i18n.language()
    found = _listing()
    keep = ("total", "page", "pages", "per_page", "sort")
    return jsonify({**{k: found[k] for k in keep}, "cases": _rows(found, lang)})


@bp.get("/api/cases/mine")
@allow(access.CASES_MINE)
def mine_json():
    """An officer's list (their grids' cases and their own reports) as JSON."""
    return case_list_json()


CSV_COLUMNS = {
    "id": _l("Number"),
    "category_name": _l("Category"),
    "status_name": _l("Status"),
    "due_text": _lp("csv", "Due"),
    "deadline": _l("Deadline"),
    "community_name": _l("Community"),
    "grid_name": _l("Grid"),
    "grid_code": _l("Grid code"),
    "department_name": _l("Department"),
    "reported_at": _lp("time", "Reported"),
    "description": _l("Description"),
    "reporter": _l("Reporter"),
    "link": _l("Link"),
}
DEADLINE_WORDS = {"overdue": _l("Overdue"), "due_soon": _l("Due soon")}


@bp.get("/cases.csv")
@allow(access.CASES_LIST)
def case_list_csv():
    found = _listing(page=1, per_page=caselists.CSV_ROWS, most=caselists.CSV_ROWS)
    names = access.fields(caller(), CSV_COLUMNS)  # the reporter only for who sees people
    rows = [[view.get(n) or "" for n in names] for view in _csv_views(found)]
    return Response(
        csv_text([str(CSV_COLUMNS[n]) for n in names], rows),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="cases.csv"'},
    )


def _csv_views(found: dict) -> list[dict]:
    """The list's rows as the CSV writes them: the deadline in words, a link to each."""
    out = []
    for view in _rows(found, i18n.language()):
        view["deadline"] = str(DEADLINE_WORDS.get(view["deadline"], ""))
        view["link"] = url_for("cases.case_page", incident_id=view["id"], _external=True)
        out.append(view)
    return out


def init_app(app) -> None:
    """The case pages (``web.cases``) with these lists, on one blueprint: imported here
    first, so that its routes are on it when it is registered."""
    case_pages.init_app(app)
