"""Who may see and do what: the one access policy (docs/roles.md).

Every route, command, export and protocol view asks this module; nothing else compares
role names.  Three questions, each answered here once:

* **May this caller call it at all?**  A route names one permission (``CASE_READ``,
  ``PLAN_PUBLISH``...); :data:`PERMISSIONS` says which roles hold it.  Anonymous callers
  hold none: what they may read is the public map, which the web app marks on its routes.
* **May they on this object?**  :func:`may` and :func:`require` add the object's rule:
  an officer works on the cases and hazards of their own grids and follows any case they
  reported themselves, wherever it is; a department works on the cases routed to it; a
  public reporter on the one case its tracking number proves; a job is its owner's (and an
  admin's); a staged generation is for planners and admins until it is activated.
* **Which fields may they read?**  :func:`redact` and :func:`redact_frame`: the people who
  reported a case (a hotline caller's name and phone, a colleague's account) and officers'
  names and phones go only to the roles that work with people (:data:`PEOPLE`); a case
  description written by staff (anything but the public's own words) is internal, for the
  same roles.  The public channel, the map, the OGC API, planners' exports: all redacted
  by the same function.

The domain stays pure: no web framework, no SQL, no environment.  Objects are the
mappings the store returns (a case, a hazard, a job, a photo's owner) or plain values (an
area code, a department code, a generation's :class:`GenerationView`).

>>> officer = Caller("li", frozenset({OFFICER}), areas=("230602",))
>>> may(officer, CASE_READ, {"id": 7, "grid_code": "23060200100101", "reporter": "wang"})
True
>>> may(officer, CASE_READ, {"id": 8, "grid_code": "23060400500202", "reporter": "wang"})
False
>>> may(officer, CASE_READ, {"id": 9, "grid_code": "23060400500202", "reporter": "li"})
True
>>> redact(ANONYMOUS, {"description": "call 139...", "reporter": "Mr Zhang (via desk)"})
{'description': ''}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gridmap.errors import Forbidden, Listed, Titled, say

# -- roles -----------------------------------------------------------------------------

ADMIN = "admin"  # users, settings, imports, publish and activate; sees every case
PLANNER = "planner"  # plans and their jobs; maps and exports without personal data
DISPATCHER = "dispatcher"  # the command centre: every case, the board, routing rules
DEPARTMENT = "department"  # a department's handlers: the cases routed to it
OFFICER = "officer"  # grid officers: their grids' cases and hazards, and what they reported
LEADER = "leader"  # reads the board (and its wall screen) and every queue; no personal data
VIEWER = "viewer"  # maps without personal data
ROLES = (ADMIN, PLANNER, DISPATCHER, DEPARTMENT, OFFICER, LEADER, VIEWER)
REPORTER = "reporter"  # a member of the public holding a case's tracking number
# The roles as people read them (the codes stay in the audit and the API).
ROLE_TITLES = {
    ADMIN: say("Administrator"),
    PLANNER: say("Planner"),
    DISPATCHER: say("Dispatcher"),
    DEPARTMENT: say("Department staff"),
    OFFICER: say("Grid officer"),
    LEADER: say("Leader"),
    VIEWER: say("Viewer"),
    REPORTER: say("Reporter"),
}


def role_titles(roles, sep: str = ", ") -> Listed:
    """``roles`` in a list: their codes on the command line, their titles on a page."""
    return Listed((Titled(r, ROLE_TITLES.get(r, r)) for r in sorted(roles)), sep)


SYSTEM_ROLE = "system"  # automatic steps (escalation) and the operator's command line

STAFF = frozenset({ADMIN, DISPATCHER, DEPARTMENT, OFFICER})  # those who work cases
PEOPLE = STAFF  # who may see people: reporters, officers' names and phones
CITY_WIDE = frozenset({ADMIN, DISPATCHER})  # every case of the city

PUBLIC = "public"  # who the public's reports and ratings are recorded as
PUBLIC_REPORTER = "公众"  # the reporter of every report from the public: nobody named


@dataclass(frozen=True)
class Caller:
    """Who asks: a user's name, the roles they act with (a token: its one role), the
    areas an officer covers and the department a department user works for; for the
    public, the one case it reported (``reporter`` role, proven by the tracking number).
    Anonymous callers hold no role."""

    name: str
    roles: frozenset[str]
    areas: tuple[str, ...] = ()
    department: str | None = None
    case: int | None = None

    @classmethod
    def of(cls, user, roles: Iterable[str] | None = None) -> Caller:
        """A signed-in user acting with ``roles`` (all of theirs when None)."""
        return cls(
            user.name,
            frozenset(roles if roles is not None else user.roles),
            tuple(user.areas),
            user.department,
        )

    def holds(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def in_grids(self, code: str | None) -> bool:
        """Whether the grid ``code`` is one of this officer's (or inside one of their areas)."""
        return isinstance(code, str) and bool(code) and any(code.startswith(a) for a in self.areas)


ANONYMOUS = Caller(PUBLIC, frozenset())
SYSTEM = Caller(SYSTEM_ROLE, frozenset({SYSTEM_ROLE}))  # no account holds this role


def is_system(caller: Caller) -> bool:
    """Whether ``caller`` is the system (automatic steps, the operator's command line):
    known by its role, which no account can hold, never by its name."""
    return caller.roles == SYSTEM.roles


def reporter(incident_id: int) -> Caller:
    """The member of the public who reported case ``incident_id`` (it showed the case's
    tracking number): it follows and rates that case, and nothing else."""
    return Caller(PUBLIC, frozenset({REPORTER}), case=incident_id)


# -- permissions: what each role may call ----------------------------------------------

SIGNED_IN = "signed_in"  # who am I
MAP_PEOPLE = "map.people"  # officers' names and phones in lookups and grid pages
GRID_READ = "grid.read"  # a grid's page with its open cases and its officer
CASE_REPORT = "case.report"
CASE_FOR_CALLER = "case.for_caller"  # report on behalf of a caller (names the reporter)
CASE_PREVIEW = "case.preview"  # where a report would go, with the duty officer
CASE_READ = "case.read"
CASE_ACT = "case.act"  # take a step (the workflow says which)
CASE_MERGE = "case.merge"  # close duplicates into the case they repeat
CASES_MINE = "cases.mine"  # an officer's own list
CASES_QUEUE = "cases.queue"  # a department's queue
CASES_LIST = "cases.list"  # the case lists (each holds the cases its reader may see)
BOARD_READ = "board.read"
HAZARD_READ = "hazard.read"  # a hazard's page, its inspections and inspectors
HAZARD_INSPECT = "hazard.inspect"
PHOTO_READ = "photo.read"  # a photo of a case or of a hazard's inspection
ROUTING_READ = "routing.read"
ROUTING_WRITE = "routing.write"
DATA_IMPORT = "data.import"
LAYER_WRITE = "layer.write"  # a layer's kind, titles and parent; retiring one
DATA_EXPORT = "data.export"
PLAN_READ = "plan.read"
PLAN_WRITE = "plan.write"  # make, paint: plans are the planners' shared drafts
PLAN_PUBLISH = "plan.publish"  # publish and activate generations; approve or return plans
PLAN_SUBMIT = "plan.submit"  # ask an admin to publish a plan (with its areas' names)
JOB_RUN = "job.run"  # start an automatic plan
JOB_READ = "job.read"
JOB_STOP = "job.stop"
GENERATION_READ = "generation.read"  # staged generations: planners and admins only
AUDIT_READ = "audit.read"
USERS_MANAGE = "users.manage"
NOTIFY_SELF = "notify.self"  # one's own notification channels (those who are told)
EVALUATION_READ = "evaluation.read"  # the monthly evaluation (考核); its rows: see _evaluation
HOTSPOT_READ = "hotspot.read"  # where problems come back (places, counts: no people)

PERMISSIONS: dict[str, frozenset[str]] = {
    SIGNED_IN: frozenset(ROLES),
    MAP_PEOPLE: PEOPLE,
    GRID_READ: STAFF,
    CASE_REPORT: frozenset({OFFICER, DISPATCHER, DEPARTMENT}),
    CASE_FOR_CALLER: frozenset({DISPATCHER}),
    CASE_PREVIEW: STAFF,
    CASE_READ: STAFF | {REPORTER},
    CASE_ACT: STAFF | {REPORTER},
    CASE_MERGE: CITY_WIDE,
    CASES_MINE: frozenset({OFFICER}),
    CASES_QUEUE: frozenset({DEPARTMENT, DISPATCHER, LEADER}),
    CASES_LIST: STAFF | {LEADER},
    BOARD_READ: frozenset({DISPATCHER, ADMIN, LEADER}),
    HAZARD_READ: STAFF,
    HAZARD_INSPECT: frozenset({OFFICER, DEPARTMENT, DISPATCHER}),
    PHOTO_READ: STAFF,
    ROUTING_READ: frozenset({ADMIN, DISPATCHER}),
    ROUTING_WRITE: frozenset({ADMIN}),
    DATA_IMPORT: frozenset({ADMIN}),
    LAYER_WRITE: frozenset({ADMIN}),
    DATA_EXPORT: frozenset({ADMIN, PLANNER, DISPATCHER}),
    PLAN_READ: frozenset({PLANNER, ADMIN}),
    PLAN_WRITE: frozenset({PLANNER}),
    PLAN_PUBLISH: frozenset({ADMIN}),
    PLAN_SUBMIT: frozenset({PLANNER}),
    JOB_RUN: frozenset({PLANNER}),
    JOB_READ: frozenset({PLANNER, ADMIN}),
    JOB_STOP: frozenset({PLANNER, ADMIN}),
    GENERATION_READ: frozenset({PLANNER, ADMIN}),
    AUDIT_READ: frozenset({ADMIN}),
    USERS_MANAGE: frozenset({ADMIN}),
    # Admins are told of plans submitted to them, planners of their plans returned.
    NOTIFY_SELF: frozenset({DISPATCHER, DEPARTMENT, OFFICER, ADMIN, PLANNER}),
    EVALUATION_READ: frozenset({ADMIN, DISPATCHER, LEADER, DEPARTMENT, OFFICER}),
    HOTSPOT_READ: frozenset({ADMIN, DISPATCHER, LEADER, DEPARTMENT, OFFICER, PLANNER}),
}


# Where a signed-in user starts (their landing page): the first of these roles they hold,
# in the order of daily work: a user who is both officer and planner works cases first.
# The web app names the page of each (web.frame.HOMES); a role not here (viewer) starts
# on the map.
HOME_ORDER = (OFFICER, DISPATCHER, DEPARTMENT, PLANNER, ADMIN, LEADER)


def home_role(caller: Caller) -> str | None:
    """The role whose page ``caller`` lands on (None: the map).

    >>> home_role(Caller("x", frozenset({PLANNER, OFFICER}))), home_role(ANONYMOUS)
    ('officer', None)
    """
    return next((r for r in HOME_ORDER if r in caller.roles), None)


def roles_for(permission: str) -> frozenset[str]:
    """The roles that hold ``permission`` (an unknown name is a programming error)."""
    return PERMISSIONS[permission]


def holds(caller: Caller, permission: str) -> bool:
    """Whether ``caller`` holds ``permission`` by role, whatever the object (what a route
    checks before it reads anything, and what pages use to show links)."""
    return is_system(caller) or bool(caller.roles & PERMISSIONS[permission])


# -- objects: what each permission means on one record ---------------------------------


def acts_as(caller: Caller, role: str, case: Mapping) -> bool:
    """Whether ``caller``, in ``role``, works on ``case`` (the workflow asks this for each
    step): the command centre on every case, a department on those routed to it, an
    officer on those of their grids, a public reporter on the one it reported."""
    if role not in caller.roles:
        return False
    if role == DISPATCHER:
        return True
    if role == DEPARTMENT:
        return bool(caller.department) and caller.department == case.get("department")
    if role == OFFICER:
        return caller.in_grids(case.get("grid_code"))
    if role == REPORTER:
        return caller.case is not None and caller.case == case.get("id")
    return False


def accepts_own(caller: Caller, grid_code: str | None) -> bool:
    """Whether a report by ``caller`` is accepted at once (when its category allows): an
    officer's report in one of their own grids."""
    return OFFICER in caller.roles and caller.in_grids(grid_code)


def _case(caller: Caller, case: Mapping) -> bool:
    """Cases: admins all; whoever works on a case (:func:`acts_as`) sees it; an officer
    also follows what they reported themselves, wherever it is."""
    if caller.holds(ADMIN) or any(acts_as(caller, r, case) for r in caller.roles):
        return True
    return caller.holds(OFFICER) and reported_by(caller, case)


def _act(caller: Caller, case: Mapping) -> bool:
    """Acting on a case: whoever works on it (the workflow then says which step); an
    admin reaches the case, though the workflow gives admins no step of their own.  A
    reporter follows its case, and takes no step on it but the ones it is owed."""
    return caller.holds(ADMIN) or any(acts_as(caller, r, case) for r in caller.roles)


def reported_by(caller: Caller, case: Mapping) -> bool:
    """Whether signed-in ``caller`` reported ``case`` themselves (the case names its
    reporter by account; a report taken for someone names them instead)."""
    return caller.name not in ("", PUBLIC, SYSTEM_ROLE) and case.get("reporter") == caller.name


@dataclass(frozen=True)
class CaseScope:
    """The cases a caller's lists hold, as a store filters them: every case, or those of
    ``department``, in (or inside) one of ``grids``, or reported by ``reporter``.  The
    same rule as :data:`CASE_READ` (:func:`_case`) for the whole table at once (a test
    holds them equal case by case); a leader's lists hold every case, read-only and
    redacted.  ``text``: whether descriptions may be searched (only by those who read
    them, :func:`sees_internal`; the others would learn from which cases match).

    >>> case_scope(Caller("li", frozenset({OFFICER}), areas=("230602",)))
    CaseScope(everything=False, department=None, grids=('230602',), reporter='li', text=True)
    """

    everything: bool
    department: str | None = None
    grids: tuple[str, ...] = ()
    reporter: str | None = None
    text: bool = False

    @property
    def empty(self) -> bool:
        return not (self.everything or self.department or self.grids or self.reporter)


def case_scope(caller: Caller) -> CaseScope:
    """Which cases ``caller``'s lists hold (see :class:`CaseScope`)."""
    text = sees_internal(caller)
    if is_system(caller) or caller.holds(ADMIN, DISPATCHER, LEADER):
        return CaseScope(True, text=text)
    department = caller.department if caller.holds(DEPARTMENT) and caller.department else None
    officer = caller.holds(OFFICER)
    grids = caller.areas if officer else ()
    reporter = caller.name if officer and reported_by(caller, {"reporter": caller.name}) else None
    return CaseScope(False, department, tuple(grids), reporter, text)


def _hazard(caller: Caller, hazard: Mapping) -> bool:
    """Hazards: officers those of their grids; the other staff the whole city."""
    if caller.holds(ADMIN, DISPATCHER, DEPARTMENT):
        return True
    return caller.holds(OFFICER) and caller.in_grids(hazard.get("grid_code"))


def _inspect(caller: Caller, hazard: Mapping) -> bool:
    if caller.holds(DISPATCHER, DEPARTMENT):
        return True
    return caller.holds(OFFICER) and caller.in_grids(hazard.get("grid_code"))


def _photo(caller: Caller, owner: Mapping) -> bool:
    """A photo is seen by whoever sees what it belongs to: ``{"case": case}`` or
    ``{"hazard": hazard}``."""
    if owner.get("case") is not None:
        return _case(caller, owner["case"])
    if owner.get("hazard") is not None:
        return _hazard(caller, owner["hazard"])
    return caller.holds(*CITY_WIDE)


def _grid(caller: Caller, code: str) -> bool:
    """Grid pages: officers their own grids; the other staff every grid (the cases
    listed on it are filtered case by case)."""
    if caller.holds(ADMIN, DISPATCHER, DEPARTMENT):
        return True
    return caller.holds(OFFICER) and caller.in_grids(code)


def _queue(caller: Caller, department: str | None) -> bool:
    """A department sees its own queue; the command centre every department's, and so do
    leaders, to read (a queue's rows name no people: category, status, due, grid)."""
    if caller.holds(DISPATCHER, LEADER):
        return True
    return caller.holds(DEPARTMENT) and bool(department) and department == caller.department


def _job(caller: Caller, job: Mapping) -> bool:
    """A job is its owner's; an admin may follow and stop any (a stuck one)."""
    return caller.holds(ADMIN) or (caller.holds(PLANNER) and job.get("owner") == caller.name)


# The evaluation rows the public statistics publish to anyone: the departments' (the
# city's work, no person in them; "ask the people to supervise").
PUBLISHED_EVALUATION = frozenset({"department"})


def _evaluation(caller: Caller, row: Mapping) -> bool:
    """A row of the monthly evaluation, ``{"by": ..., "grids": [...]}``.  Departments'
    and communities' figures are the city's work, open to everyone who holds the
    permission (the public statistics publish the departments' too).  An officer's
    figures judge one person: the command centre and the admins, who manage officers,
    and the leaders, who judge the work, read every officer's (a leader without the
    name: :func:`evaluation_names`); an officer reads only their own; a department,
    which does not manage officers, none."""
    if row.get("by") in PUBLISHED_EVALUATION or row.get("by") == "community":
        return True
    if caller.holds(ADMIN, DISPATCHER, LEADER):
        return True
    return caller.holds(OFFICER) and any(caller.in_grids(g) for g in row.get("grids", ()))


def evaluation_names(caller: Caller) -> bool:
    """Whether ``caller`` reads officers' names on their evaluation rows (the policy's
    people rule: a leader holds no personal data, and reads each row by its grids)."""
    return sees_people(caller)


def staged(generation, generations) -> bool:
    """Whether ``generation`` is staged: published after the active one and not active
    yet (the generations before the active one are the city's history, public)."""
    active = [g.id for g in generations if g.active]
    return not generation.active and bool(active) and generation.id > max(active)


@dataclass(frozen=True)
class GenerationView:
    """What the generation rule decides on: whether the generation is staged, and whether
    the city opened its staged generations to everyone (``GRIDMAP_STAGED_PUBLIC``)."""

    staged: bool
    public: bool = False


def generation_view(generation, generations, staged_public: bool = False) -> GenerationView:
    """The object :data:`GENERATION_READ` is asked of for ``generation``."""
    return GenerationView(staged(generation, generations), staged_public)


def _generation(caller: Caller, view: GenerationView | bool) -> bool:
    """A staged generation (published, not yet active) is a draft: planners and admins,
    everyone only when the city says so; the active and the past ones are the city's map."""
    if not isinstance(view, GenerationView):
        view = GenerationView(bool(view))
    return not view.staged or view.public or caller.holds(PLANNER, ADMIN)


def builds_index(caller: Caller, view: GenerationView) -> bool:
    """Whether a lookup of ``caller`` may build a generation's lookup index (seconds of a
    server's time): any caller the active one and history, the staged ones only a
    signed-in user; anyone else is answered from an index already built."""
    return not view.staged or is_system(caller) or bool(caller.roles & set(ROLES))


_RULES: dict[str, Callable[[Caller, Any], bool]] = {
    GRID_READ: _grid,
    CASE_READ: _case,
    CASE_ACT: _act,
    CASES_QUEUE: _queue,
    HAZARD_READ: _hazard,
    HAZARD_INSPECT: _inspect,
    PHOTO_READ: _photo,
    JOB_READ: _job,
    JOB_STOP: _job,
    EVALUATION_READ: _evaluation,
}
_ANYONE: dict[str, Callable[[Caller, Any], bool]] = {GENERATION_READ: _generation}


def may(caller: Caller, permission: str, obj: Any = None) -> bool:
    """Whether ``caller`` may ``permission`` (on ``obj``, when the permission has an
    object rule: a case, a hazard, ``{"case"|"hazard": ...}`` for a photo, a grid code, a
    department code, a job, a :class:`GenerationView` (or whether it is staged) for a
    generation)."""
    if permission in _ANYONE:  # open to all for some objects (the active generation)
        return is_system(caller) or _ANYONE[permission](caller, obj)
    if not holds(caller, permission):
        return False
    if is_system(caller) or obj is None or permission not in _RULES:
        return True
    return _RULES[permission](caller, obj)


_REFUSALS = {
    GRID_READ: "grid {obj} is not one of your grids",
    CASE_READ: "incident {id} is not in your areas",
    CASE_ACT: "incident {id} is not in your areas",
    CASES_QUEUE: "a department sees its own queue",
    HAZARD_READ: "hazard {id} is not in your grids",
    HAZARD_INSPECT: "hazard {id} is not in your grids: its own officer inspects it",
    PHOTO_READ: "this photo belongs to a case or hazard outside your areas",
    JOB_READ: "job {key} is not yours",
    JOB_STOP: "job {key} is not yours: only its owner (or an admin) may stop it",
    GENERATION_READ: "this generation is staged: it is not public until it is activated",
    EVALUATION_READ: "an officer's evaluation is theirs and their managers' to read",
}


def role_refusal(permission: str) -> Forbidden:
    """The refusal of a caller whose roles do not hold ``permission``: which roles do."""
    roles = sorted(PERMISSIONS[permission])
    return Forbidden(
        say("this needs one of the roles {roles}", roles=role_titles(roles)),
        code="access.roles",  # a page says it in a sentence of its own (web.i18n.refusal)
        values={"roles": roles},
    )


def require(caller: Caller, permission: str, obj: Any = None) -> None:
    """Refuse (:class:`~gridmap.errors.Forbidden`, with the reason) unless :func:`may`."""
    if may(caller, permission, obj):
        return
    if not holds(caller, permission) and permission not in _ANYONE:
        raise role_refusal(permission)
    values = dict(obj) if isinstance(obj, Mapping) else {}
    text = _REFUSALS.get(permission, "not yours to see")
    try:
        message = text.format(obj=obj, **values)
    except (KeyError, IndexError, TypeError):
        message = "not yours to see"
    raise Forbidden(message)


# -- fields: personal and internal -----------------------------------------------------

PERSONAL = ("reporter",)  # who reported a case: a caller's name and phone, an account
OFFICER_FIELDS = ("officer", "zone_officers", "duty_officer")  # names and phones on duty


def sees_people(caller: Caller) -> bool:
    """Whether ``caller`` sees people: reporters, officers' names and phones, inspectors."""
    return holds(caller, MAP_PEOPLE)


def sees_internal(caller: Caller) -> bool:
    """Whether ``caller`` reads what staff wrote about a case (its description when it
    was not the public's own words)."""
    return bool(caller.roles & STAFF) or is_system(caller)


def public_text(record: Mapping) -> bool:
    """Whether a case's description is the public's own words (a report through the
    public page or Open311), which the public may read back."""
    return bool(record.get("from_public")) or record.get("reporter") == PUBLIC_REPORTER


def redact(caller: Caller, record: Mapping) -> dict:
    """``record`` (a case, an incident's properties) as ``caller`` may read it: without
    the reporter unless they see people; with an empty description when staff wrote it
    and they do not see internal text."""
    out = dict(record)
    if "description" in out and not sees_internal(caller) and not public_text(record):
        out["description"] = ""
    if not sees_people(caller):
        for name in PERSONAL:
            out.pop(name, None)
    return out


def fields(caller: Caller, names: Iterable[str]) -> list[str]:
    """``names`` without the personal ones ``caller`` may not read (which columns a
    listing or an export carries)."""
    people = sees_people(caller)
    return [n for n in names if people or n not in PERSONAL]


_TEXT_KEYS = {"reporter", "from_public"}  # what says whose words a description is


def redact_frame(caller: Caller, frame):
    """A table of incidents (a pandas or geopandas frame) as ``caller`` may read it: the
    same rules as :func:`redact`, column-wise (exports, listings)."""
    out = frame.copy()
    if "description" in out.columns and not sees_internal(caller):
        public = [
            public_text(r)
            for r in out[[c for c in out.columns if c in _TEXT_KEYS]].to_dict("records")
        ]
        out["description"] = out["description"].where(public, "")
    drop = [n for n in PERSONAL if n in out.columns and not sees_people(caller)]
    return out.drop(columns=drop) if drop else out


def hide_officers(caller: Caller, answer: dict) -> dict:
    """A lookup's answer without officers' names and phones for those who do not see
    people (``officers_hidden`` says so)."""
    if sees_people(caller):
        return answer
    answer["officer"], answer["zone_officers"] = None, {}
    answer["officers_hidden"] = True
    return answer
