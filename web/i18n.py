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

from gridmap import translate
from gridmap.access import ROLE_TITLES
from gridmap.catalogue import CATEGORIES, HAZARD_TYPES, MAJOR_CLASSES, RISK_LEVELS, STATUSES
from gridmap.workflow import ACTIONS

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
    "open_case": _l("Open the case"),
    "report_here": _l("Report a case here"),
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

# The words the pages' scripts write (besides the map's ``TEXT``), handed to them in the
# page's language by the frame (``<script id="gm-words" type="application/json">``).
SCRIPT_TEXT = {
    "outside_every_area": _l("Outside every area"),
    "grid_officer": _l("Grid officer"),
    "department": _l("Department"),
    "no_position": _l("This browser cannot tell its position"),
    "request_failed": _l("The request failed"),
    "rule_colon": _lp("separator", ": "),
    "no_plan_satisfies": _l("No plan can satisfy this request: "),
    "reasons_separator": _lp("separator", "; "),
    "grid": _l("Grid"),
    "population": _l("population"),
    "before": _l("before"),
    "after": _l("after"),
    "changes_area": _l("changes area"),
    "lock": _l("Lock"),
    "max_deviation": _l("Max deviation"),
    "cut_edges": _l("Cut edges"),
    "mean_polsby_popper": _l("Mean Polsby-Popper"),
    "areas": _lp("planner", "Areas"),
    "groups_split": _l("Neighborhoods split"),
    "change_failed": _l("The change failed"),
    "area_locked": _l("Area {area} is locked"),
    "neighborhood": _l("neighborhood"),
    "residents_in_area": _l("{residents} residents · area {area}"),
    "plan_unreadable": _l("The plan could not be read"),
    "job_queued": _lp("job", "queued"),
    "job_running": _lp("job", "running"),
    "job_done": _lp("job", "done"),
    "job_stopped": _lp("job", "stopped"),
    "job_failed": _lp("job", "failed"),
    "job_interrupted": _lp("job", "interrupted"),
}


def script_texts(keys) -> dict[str, str]:
    """The words ``keys`` of the page's scripts in its language (only those its scripts
    write: a public page carries no staff words)."""
    return {key: str(SCRIPT_TEXT[key]) for key in keys}


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
    "plan.infeasible": _l("no plan can satisfy this request: {reasons}"),
    "approval.submitted": _l("plan {plan!r} is submitted already: wait for an admin"),
    "approval.published": _l("plan {plan!r} is published already"),
    "approval.not_submitted": _l("plan {plan!r} is not waiting for approval"),
    "approval.changed": _l(
        "plan {plan!r} was changed after it was submitted: it must be submitted again"
    ),
    "approval.note": _l("the note may hold at most {max} characters"),
    "approval.note_missing": _l(
        "say why it is sent back: the planner needs to know what to change"
    ),
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


# A plan's state on its way to publication (``gridmap.services.approvals``).
REVIEW_STEPS = {
    "draft": _lp("plan state", "Draft"),
    "submitted": _lp("plan state", "Waiting for approval"),
    "returned": _lp("plan state", "Sent back"),
    "published": _lp("plan state", "Published"),
}


def step_name(step: str) -> str:
    return _named(REVIEW_STEPS, step)


# The audit's actions as the audit page names them (the codes stay in its CSV, the API and
# the command line); a case's steps by the workflow's names (``case.<action>``).
AUDIT_ACTIONS = {
    "activate": _l("Generation activated"),
    "discard": _l("Generation discarded"),
    "publish": _l("Plan published"),
    "plan.add": _l("Plan saved"),
    "plan.change": _l("Plan changed"),
    "import_layer": _l("Boundaries imported"),
    "import_incidents": _l("Incidents imported"),
    "import_hazards": _l("Hazards imported"),
    "layer.change": _l("Layer changed"),
    "layer.retire": _l("Layer retired"),
    "case.report": _l("Case reported"),
    "case.route": _l("Cases routed"),
    "category.clock": _l("Category time limit set"),
    "calendar.set": _l("Working calendar set"),
    "department.save": _l("Department saved"),
    "route.add": _l("Routing rule added"),
    "route.remove": _l("Routing rule removed"),
    "hazard.inspect": _l("Hazard inspected"),
    "contact.set": _l("Notification settings changed"),
    "user.add": _l("User added"),
    "user.change": _l("User changed"),
    "user.passwd": _l("Password changed"),
    "user.sign_out_everywhere": _l("Signed out everywhere"),
    "token.add": _l("Token issued"),
    "token.revoke": _l("Token revoked"),
    "token.revoke_all": _l("All tokens revoked"),
    "open311.key.add": _l("Open311 key issued"),
    "open311.key.revoke": _l("Open311 key revoked"),
}
CASE_STEP = _l("Case: {action}")


def audit_action(action: str) -> str:
    """An audit row's action in the page's language (its code when it has no name)."""
    if action in AUDIT_ACTIONS:
        return str(AUDIT_ACTIONS[action])
    if action in SIGN_IN_EVENTS:
        return str(SIGN_IN_EVENTS[action])
    step = ACTIONS.get(action.removeprefix("case."))
    if action.startswith("case.") and step is not None:
        return str(CASE_STEP).format(action=pick(step.zh, step.en))
    return action


# The fields of the audit's before and after, as the audit page names them (the values are
# shown as recorded: codes and names as they were).
AUDIT_FIELDS = {
    "active": _l("Active"),
    "areas": _lp("audit", "Areas"),
    "roles": _l("Roles"),
    "role": _l("Role"),
    "department": _l("Department"),
    "expires": _l("Expires"),
    "name": _lp("audit", "Name"),
    "name_zh": _l("Chinese name"),
    "name_en": _l("English name"),
    "title_zh": _l("Chinese title"),
    "title_en": _l("English title"),
    "code": _l("Code"),
    "position": _l("Order"),
    "category": _l("Category"),
    "layer": _l("Layer"),
    "area_code": _l("Area code"),
    "kind": _l("Kind"),
    "parent": _l("Parent layer"),
    "effective": _l("Effective"),
    "generation": _l("Generation"),
    "file": _l("File"),
    "rows": _lp("audit", "Rows"),
    "rejected": _l("Rejected"),
    "units": _l("Units"),
    "note": _l("Note"),
    "reason": _l("Reason"),
    "sessions": _l("Sessions"),
    "tokens": _l("Tokens"),
    "address": _l("Address"),
    "agent": _l("Browser"),
    "routed": _l("Routed"),
    "working": _l("Working day"),
    "risk_level": _l("Risk level"),
    "status": _l("Status"),
    "from": _lp("audit", "From"),
    "to": _lp("audit", "To"),
    "id": _l("Number"),
    "areas_count": _l("Areas"),
}


def audit_field(key: str) -> str:
    """A field of an audit row's before and after in the page's language (else its key)."""
    return _named(AUDIT_FIELDS, key)


SYSTEM_NAME = _l("System")
ANONYMOUS_NAME = _l("Anonymous")  # who signed nothing: a failed sign-in, the public


def actor_name(actor: str) -> str:
    """Who did it: a user's name without the channel (``web:``, ``cli:``), the system by
    name."""
    name = actor.split(":", 1)[-1] if ":" in actor else actor
    return {"system": str(SYSTEM_NAME), "anonymous": str(ANONYMOUS_NAME)}.get(name, name)


def role_name(role: str) -> str:
    """A role as people read it (``gridmap.access.ROLE_TITLES``)."""
    return localized(ROLE_TITLES.get(role, role))


def needs_roles(roles) -> str:
    """A refusal for want of a role, naming the roles that may (a page's 403)."""
    names = str(_lp("roles", ", ")).join(role_name(r) for r in roles)
    return str(_l("Only {names} may do this")).format(names=names)


def sign_in_event(action: str) -> str:
    return _named(SIGN_IN_EVENTS, action)


def end_reason(reason: str) -> str:
    return _named(END_REASONS, reason)


def _named(names: dict, code: str) -> str:
    text = names.get(code)
    return str(text) if text is not None else code


def refusal(exc: BaseException) -> str:
    """A domain error as the page's language says it: by its ``code`` when the page words
    it otherwise than the command line (``REFUSALS``), else its message localized."""
    code = getattr(exc, "code", None) or ""
    if code == "access.roles":  # the roles by their names
        return needs_roles(exc.values["roles"])
    text = REFUSALS.get(code)
    if text is None:
        return error_message(exc)
    values = {k: _value(v) for k, v in (getattr(exc, "values", None) or {}).items()}
    try:
        return str(text).format(**values)
    except (KeyError, IndexError):
        return error_message(exc)


# How a list is joined, by its English separator (``gridmap.errors.Listed``; marked here
# for the catalogue, read by ``gridmap.translate.separator``).
SEPARATORS = (_lp("separator", ", "), _lp("separator", " or "), _lp("separator", "; "))


def localized(text) -> str:
    """Text of the domain in the page's language (``gridmap.translate.localized``)."""
    return translate.localized(text, language())


def error_message(exc: BaseException) -> str:
    """A domain error's message in the page's language (what error pages and the API's
    JSON ``message`` say)."""
    return localized(exc.args[0]) if exc.args and isinstance(exc.args[0], str) else str(exc)


# The kinds of problem a layer's check reports (``etl.validate``): codes in the CLI and
# the JSON report, words on the data page.
PROBLEM_KINDS = {
    "missing code": _l("Missing code"),
    "empty geometry": _l("Empty geometry"),
    "geometry type": _l("Wrong geometry type"),
    "self-intersection": _l("Self-intersection"),
    "invalid geometry": _l("Invalid geometry"),
    "duplicate code": _l("Duplicate code"),
    "overlap": _l("Overlap"),
    "outside parent": _l("Outside the parent layer"),
    "gap": _l("Gap"),
}


def problem_kind(kind: str) -> str:
    return _named(PROBLEM_KINDS, kind)


# What the planner's rules, feasibility checks and automatic runs say
# (``boundaries.said``): by code, with {parameters} already fit to show.  The pages'
# scripts get the same table (``said_texts``) and fill it the same way (``api.js``).
SAID = {
    "bounds.range": _lp("plan rule", "{low}..{high}"),
    "bounds.low": _lp("plan rule", "at least {low}"),
    "bounds.high": _lp("plan rule", "at most {high}"),
    "rule_name.contiguous": _lp("plan rule", "contiguous"),
    "rule_name.population": _lp("plan rule", "population"),
    "rule_name.nested": _lp("plan rule", "nested"),
    "rule_name.districts": _lp("plan rule", "districts"),
    "rule.contiguous.ok": _lp("plan rule", "every district is contiguous"),
    "rule.contiguous": _lp("plan rule", "district {district} is in {pieces} pieces: {parts}"),
    "rule.population.ok": _lp("plan rule", "every district's population is within bounds"),
    "rule.population": _lp(
        "plan rule", "district {district} has {population} residents; expected {expected}"
    ),
    "rule.population.none": _lp("plan rule", "no bound given; max deviation {deviation}"),
    "rule.nested.none": _lp("plan rule", "no parent layer: nothing to lie inside"),
    "rule.nested.ok": _lp("plan rule", "every district lies inside one parent area"),
    "rule.nested": _lp("plan rule", "district {district} crosses parent areas {parents}"),
    "rule.districts.ok": _lp("plan rule", "{k} districts"),
    "rule.districts": _lp("plan rule", "the plan has {count} districts; expected {k}"),
    "rule.districts.none": _lp("plan rule", "{count} districts (no k given)"),
    "feasible.parent": _lp(
        "plan rule",
        "{parent} has {population} residents, which cannot be divided into districts of "
        "{bounds}: {large} districts would be too large, {small} too small",
    ),
    "feasible.k_range": _lp(
        "plan rule",
        "{k} districts cannot respect the bounds: the parents need between {fewest} and "
        "{most} districts of {bounds}",
    ),
    "feasible.contiguity": _lp(
        "plan rule",
        "{parent}'s units are in {pieces} pieces: {units} share no border with the rest; "
        "link them to a neighbour by hand to plan contiguous areas",
    ),
    "feasible.total": _lp("plan rule", "the units have no {of}: nothing to balance"),
    "feasible.bounds": _lp("plan rule", "the minimum {low} is above the maximum {high}"),
    "feasible.k_min": _lp("plan rule", "k is {k}; expected at least 1 district"),
    "feasible.k_units": _lp(
        "plan rule", "{k} districts from {units} units: each district needs at least one unit"
    ),
    "feasible.unit": _lp(
        "plan rule",
        "{count} unit(s) ({units}) above the maximum {high}: no plan can hold them; ask "
        "fewer districts or wider bounds",
    ),
    "run.nest_floor": _lp(
        "plan rule",
        "no nested plan can be within ±{epsilon} of the ideal {ideal}: {parent} has "
        "{population}; its {districts} districts average {average} ({gap}); {fewer} or "
        "{more} would be further off",
    ),
    "run.first_valid": _lp(
        "plan rule", "{seconds}s: first plan within every rule, max deviation {deviation}"
    ),
    "run.progress": _lp("plan rule", "{seconds}s: max deviation {deviation}"),
    "run.whole": _lp(
        "plan rule", "{k} districts over {units} whole units: max deviation {deviation}"
    ),
    "run.split": _lp(
        "plan rule",
        "{k} districts over {units} units ({split} old units split): max deviation {deviation}",
    ),
}


def said(text) -> str:
    """What ``text`` says in the page's language: a ``boundaries.said.Said`` or its
    ``{"code", "values"}``; plain text as it is (a code without a translation: its
    English)."""
    found = text.as_dict() if hasattr(text, "as_dict") else text
    if not isinstance(found, dict) or found.get("code") not in SAID:
        return str(text)
    values = {k: _value(v) for k, v in (found.get("values") or {}).items()}
    try:
        return str(SAID[found["code"]]).format(**values)
    except (KeyError, IndexError):
        return str(text)


def _value(value):
    """A parameter as said: nested said things said too, lists joined."""
    if isinstance(value, list | tuple):
        nested = any(hasattr(v, "as_dict") or isinstance(v, dict) for v in value)
        between = _lp("reasons", "; ") if nested else _lp("roles", ", ")
        return str(between).join(str(_value(v)) for v in value)
    if hasattr(value, "as_dict") or (isinstance(value, dict) and "code" in value):
        return said(value)
    return value


def said_texts(lang: str) -> dict[str, str]:
    """:data:`SAID` in ``lang``, for the pages' scripts."""
    with force_locale(lang):
        return {code: str(text) for code, text in SAID.items()}


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
    app.jinja_env.globals["script_texts"] = script_texts
    app.jinja_env.filters["localized"] = localized  # a domain message in the page's language
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
