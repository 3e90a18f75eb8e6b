"""UI text in Simplified Chinese and English, through gettext message catalogues.

Every string a person reads is written in English in the code and the templates
(``_('...')``, ``gettext``, ``_l`` for module-level tables read later) and translated in
``web/translations/zh/LC_MESSAGES/messages.po`` (Flask-Babel; ``make translations``
extracts and compiles, a test keeps the compiled catalogue in step and complete).  Chinese
is the default.  The language comes from ``?lang=``, then the ``lang`` cookie (set whenever
``?lang=`` is given, so the choice sticks on every page), then the browser's
Accept-Language.  Names that are data (categories, departments, layers) come in both
languages from the store or the domain catalogue; ``pick`` (``L`` in templates) chooses.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel, force_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from gridmap.catalogue import CATEGORIES, HAZARD_TYPES, MAJOR_CLASSES, RISK_LEVELS, STATUSES

LANGUAGES = ("zh", "en")

TEXT = {
    "title": _l("Grid management map"),
    "incidents": _l("Incidents"),
    "hazards": _l("Hazards"),
    "hotspots": _l("Problems that come back"),
    "hotspot_cases": _lp("hotspots", "cases"),
    "status": _l("Status"),
    "category": _l("Category"),
    "all": _l("All"),
    "since": _l("From"),
    "until": _l("To"),
    "apply": _l("Filter"),
    "search": _l("Search code or name"),
    "not_found": _l("Not found"),
    "what_is_here": _l("Who is responsible here"),
    "not_covered": _l("Not covered by any area"),
    "on_border": _l("On a border"),
    "officer": _l("Grid officer"),
    "duty_officer": _l("Duty officer"),
    "reported_at": _lp("time", "Reported"),
    "areas": _lp("map", "Areas"),
    "risk_level": _l("Risk level"),
    "next_inspection": _l("Next inspection"),
    "legend": _l("Legend"),
    # Where a case's clock stands (预警): most of its limit used, or all of it.
    "due_soon": _l("Due soon"),
    "overdue": _l("Overdue"),
    "due": _l("Due"),
    "open_incidents": _l("Open incidents"),
    "age_days": _l("days"),
    "no_open_incidents": _l("No open incidents in this grid"),
    "grid_view": _l("Grid view"),
    "data": _l("Data"),
    "zoom_in_for_more": _l("Zoom in to see single incidents"),
    "cluster_of": _l("{n} incidents"),
    "list_separator": _lp("separator", ", "),
    "call": _l("Call"),
    "type": _l("Type"),
    "loading": _l("Loading…"),
    "sign_in": _l("Sign in"),
    "audit": _l("Audit"),
    "sign_out": _l("Sign out"),
    "user_name": _l("User name"),
    "password": _lp("sign_in", "Password"),
    "login_failed": _l("Wrong user name or password"),
    "login_blocked": _l("Too many failed sign-ins: try again in ten minutes"),
    # The report and inspection forms without a connection (static/offline.js).
    "offline_waiting": _l("Waiting to send ({n})"),
    "offline_saved": _l("No connection: kept on this phone and sent when the connection returns"),
    "offline_later": _l("The server cannot take it now: kept on this phone and sent later"),
    "offline_signin": _l(
        "Your sign-in has expired: the drafts are kept on this phone; sign in again to send them"
    ),
    "offline_other_user": _l("{n} more made by {user}, sent when they sign in"),
    "offline_refused": _l("Not accepted"),
    "offline_discard": _l("Discard this draft"),
    "offline_sent": _l("Sent"),
    "offline_case": _l("Case"),
    "offline_inspection": _l("Inspection"),
}

# The kinds of layer (``gridmap.model.LAYER_KINDS``) as the data and admin pages name them.
LAYER_KINDS = {
    "admin": _l("Boundary hierarchy (district, street, community, grid)"),
    "zone": _l("Department zones"),
    "reference": _l("Reference (schools, parks: owns nothing)"),
}


# Refusals a page shows, by the domain error's ``code``, filled with its ``values``.
REFUSALS = {
    "route.department": _l("unknown department {department!r}"),
    "route.category": _l("category {category!r} is no category code or prefix (such as E01)"),
    "route.layer": _l("unknown layer {layer!r}"),
    "route.area_layer": _l("an area needs its layer"),
    "route.area": _l("layer {layer!r} has no area {area!r}"),
    "generation.not_staged": _l("generation {generation} is not staged: it is active or history"),
    "generation.newer": _l("generation {newer} was published after {generation}: discard it first"),
    "generation.has_plans": _l(
        "plan {plan!r} was made on generation {generation}: delete it first"
    ),
    "generation.in_use": _l(
        "generation {generation} holds {count} records: it was in use and cannot be discarded"
    ),
    "publish.no_parent": _l(
        "the plan has no parent layer: new areas are numbered inside their parent's areas; make "
        "the plan with a parent layer"
    ),
    "publish.layer": _l(
        "cannot publish into layer {layer}: publish into a new layer (such as community) or the "
        "units' own"
    ),
    "publish.newer": _l(
        "the plan was made on generation {source}, but a newer one ({newest}) exists: plan on the "
        "newest generation (or discard {newest} if it is staged)"
    ),
    "user.exists": _l("user {name} exists already"),
    "user.name": _l("the user name must be 1-{max} characters without spaces"),
    "user.area": _l("area {area}: no grid's code is or starts with it"),
    "user.role": _l("choose one or more roles"),
    "user.department": _l("a department user needs its department"),
    "token.revoked": _l("token {token} is revoked already"),
    "publish.area_name": _l("the name of area {area} must be 1-100 characters"),
    "publish.area_unknown": _l("no new area has code {area}"),
    "publish.rules": _l("the plan breaks the rules: {reasons}"),
    "publish.too_many_grids": _l(
        "an area of the plan holds {grids} grids, more than {width}-digit grid codes number: "
        "split it into smaller areas"
    ),
}


# The roles' names as people read them (the codes stay in the audit and the API).
ROLE_NAMES = {
    "admin": _l("Administrator"),
    "planner": _l("Planner"),
    "dispatcher": _l("Dispatcher"),
    "department": _l("Department staff"),
    "officer": _l("Grid officer"),
    "leader": _l("Leader"),
    "viewer": _l("Viewer"),
}


# A user's sign-in history: the audit rows' actions, and why a session ended.
SIGN_IN_EVENTS = {
    "sign_in": _l("Signed in"),
    "sign_in.failed": _l("Failed sign-in"),
    "sign_out": _l("Signed out"),
    "session.end": _l("Session ended"),
}
END_REASONS = {
    "sign_out": _l("signed out"),
    "everywhere": _l("signed out everywhere by an admin"),
    "password": _l("the password changed"),
    "disabled": _l("the account was disabled"),
    "idle": _l("idle too long"),
    "lifetime": _l("reached its lifetime"),
}


def role_name(role: str) -> str:
    return _named(ROLE_NAMES, role)


def sign_in_event(action: str) -> str:
    return _named(SIGN_IN_EVENTS, action)


def end_reason(reason: str) -> str:
    return _named(END_REASONS, reason)


def _named(names: dict, code: str) -> str:
    text = names.get(code)
    return str(text) if text is not None else code


def refusal(exc: Exception) -> str:
    """A domain error as the page's language says it (its message when its code has no
    translation)."""
    text = REFUSALS.get(getattr(exc, "code", None) or "")
    if text is None:
        return str(exc)
    try:
        return str(text).format(**getattr(exc, "values", {}))
    except (KeyError, IndexError):
        return str(exc)


# The columns of the rejected rows' CSV (the data page's check).
REJECTED_COLUMNS = (_lp("csv", "Row"), _lp("csv", "Field"), _l("Value"), _l("Reason"))


def rejected_columns() -> list[str]:
    return [str(text) for text in REJECTED_COLUMNS]


def language() -> str:
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES, default="zh")


def texts(lang: str) -> dict[str, str]:
    """The map script's words in ``lang``."""
    with force_locale(lang):
        words = {key: str(text) for key, text in TEXT.items()}
    words["language"] = "English" if lang == "zh" else "中文"  # each language in its own words
    return words


def catalogue(lang: str) -> dict[str, dict]:
    """Names of statuses, categories, hazard types and risk levels in ``lang``."""
    k = LANGUAGES.index(lang)
    return {
        "statuses": {code: names[k] for code, names in STATUSES.items()},
        "categories": {code: (c.name_zh, c.name_en)[k] for code, c in CATEGORIES.items()},
        "major_classes": {code: names[k] for code, names in MAJOR_CLASSES.items()},
        "hazard_types": {code: names[k] for code, names in HAZARD_TYPES.items()},
        "risk_levels": {str(level): names[k] for level, names in RISK_LEVELS.items()},
    }


# What a member of the public is told of a mistake on the public pages, by the field it
# concerns (the services' messages are for developers, in English), else by its status.
PUBLIC_MISTAKES = {
    "token": _l(
        "This tracking number is not right: it has 16 letters and digits, such as "
        "ABCD-EFGH-JKMN-PQRS. Please check it and try again."
    ),
    "number": _l("No report has this tracking number. Please check it and try again."),
    "reopen": _l(
        "It is too long since this case was resolved to reopen it: please report it again."
    ),
    "note": _l("Please write a few words."),
    "lon": _l("Please click the place on the map."),
    "lat": _l("Please click the place on the map."),
    "category": _l("Please choose what the problem is."),
    "description": _l("The description is too long: please shorten it."),
    "email": _l("The e-mail address is not right, e.g. li@example.cn."),
    "phone": _l("The mobile number is not right, e.g. 13800138000."),
    "photos": _l("A photo is not right: use JPEG or PNG photos within the size limit."),
    "rating": _l("Please choose a rating."),
    "follow": _l("That problem is no longer being handled: please report it."),
}
PUBLIC_ERRORS = {
    400: _l("Something in the form is not right: please go back and correct it."),
    403: _l("This cannot be done."),
    404: _l("What you asked for was not found."),
    409: _l("It changed meanwhile: please go back, reload and try again."),
    413: _l("The file is too large."),
    429: _l("Too many at once: please try again a little later."),
}


def public_mistake(status: int, field: str | None) -> str:
    """What the public pages say of an error: by its field, else by its status."""
    text = PUBLIC_MISTAKES.get(field or "") or PUBLIC_ERRORS.get(status)
    return str(text if text is not None else _l("Something went wrong: please try again later."))


def layer_title(layer, lang: str) -> str:
    return layer.title_zh if lang == "zh" else layer.title_en


def pick(zh: str, en: str) -> str:
    """A name that is data, given in both languages, in the page's language (templates
    call it ``L``); text of our own goes through the catalogue instead."""
    return zh if language() == "zh" else en


TRANSLATIONS = Path(__file__).parent / "translations"  # <lang>/LC_MESSAGES/messages.po


@functools.cache
def compiled_catalogues() -> str:
    """The catalogues compiled, once per process, into a directory of their own: the
    repository keeps only the text ``.po`` files (no binaries), so a fresh clone or an
    edited translation needs no build step."""
    out = Path(tempfile.mkdtemp(prefix="gridmap-messages-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        with po.open("rb") as f:
            catalogue = read_po(f, locale=po.parts[-3])
        mo = out / po.relative_to(TRANSLATIONS).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as f:
            write_mo(f, catalogue)
    return str(out)


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=language,
        default_locale="zh",
        default_timezone="Asia/Shanghai",  # gridmap.model.LOCAL_TZ: UTC+8, no summer time
        default_translation_directories=compiled_catalogues(),
    )
    app.jinja_env.globals["L"] = pick
    app.after_request(_remember_language)


def _remember_language(response):
    """``?lang=`` on any page is the choice from then on (a year, like the map's)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get("lang") != asked:
        response.set_cookie("lang", asked, max_age=365 * 86400, samesite="Lax")
    return response


def percent(ratio: float, signed: bool = False) -> str:
    """A ratio as every page shows deviations and shares: percent with one decimal (the
    JSON keeps the ratio; ``planner.js``'s ``pct`` writes the same for the live panel).

    >>> percent(0.1234), percent(-0.05, signed=True), percent(0.0, signed=True)
    ('12.3%', '-5.0%', '+0.0%')
    """
    return f"{ratio:+.1%}" if signed else f"{ratio:.1%}"
