"""What a caller may ask of a store, one typed surface per aggregate.

Why Protocols, not the class: ``SQLStore`` has a hundred public methods and an adapter's
hooks beside them (``encode``, ``in_bbox``, ``bulk_insert``...).  A service names the
part it needs (``store: CaseStore``), so its signature says what it may read and write,
a test double needs only that part, and the hooks stay out of sight.  ``Store`` is all
of them: what ``open_store`` opens.

The aggregates:

- :class:`AreaStore`: layers, generations, areas and the officers on duty in them;
- :class:`CaseStore`: incidents and their cases (steps, events, photos, work lists, the
  board), with the routing (:class:`RoutingStore`: departments, rules, the calendar's
  local days) and the hazards (:class:`HazardStore`: hazards, inspections) the case
  loop works with, and the idempotency keys of reports and inspections
  (:class:`SubmissionStore`);
- :class:`PlanStore`: redistricting plans and the background jobs that make them;
- :class:`PeopleStore`: users, their API tokens, the audit trail;
- :class:`PublicStore`: the public channel (Open311 keys, tracking numbers, requests,
  replies, ratings);
- :class:`SchedulerStore`: the scheduler's lease, the outbox of notifications, the
  notices given, people's contacts and channels;

each with the basics of :class:`Transactions` (``transaction()``, ``record``,
``actor``).  :class:`CasesAndAreas` and :class:`PublicChannel` combine them for the use
cases that span two aggregates.

Each member is the implementation's signature, copied (what it does is documented
there: ``sql.py``, ``records.py``, ``cases.py``, ``hazards.py``, ``people.py``,
``jobs.py``, ``public.py``).  ``tests/contract/test_protocols.py`` keeps them true: it
compares every member's signature with both stores' (``runtime_checkable`` alone checks
only that the names exist), and it fails when the store grows a public method that no
Protocol names.  Nothing here is imported at run time but ``typing``: annotating with
these costs a service no import of the store.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence
    from datetime import date, datetime

    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from gridmap.access import CaseScope
    from gridmap.accounts import Token, User
    from gridmap.caselist import CaseFilter
    from gridmap.model import Generation, IncidentQuery, Layer, Officer
    from gridmap.routing import Department, Rule
    from gridmap.workflow import ClockRule, Step

_S = TypeVar("_S", bound="Store")

__all__ = [
    "AreaStore",
    "CaseStore",
    "CasesAndAreas",
    "EvaluationStore",
    "HazardStore",
    "PeopleStore",
    "PlanStore",
    "PublicChannel",
    "PublicStore",
    "RoutingStore",
    "SchedulerStore",
    "Store",
    "Transactions",
]


@runtime_checkable
class Transactions(Protocol):
    """What every part of a store offers: one transaction around several writes (nested
    blocks join the outermost), and the audit row of a change, written in it as
    ``actor``."""

    #: who the changes are recorded as ("cli:<login>", a signed-in user, "system")
    actor: str

    def transaction(self) -> AbstractContextManager[None]: ...

    def record(
        self,
        action: str,
        target: str | int = "",
        before: dict | None = None,
        after: dict | None = None,
    ) -> None: ...


@runtime_checkable
class AreaStore(Transactions, Protocol):
    """Layers, generations (versions of the boundaries), the areas valid in each, and
    the officers on duty in them (a lookup answers them with the areas)."""

    # -- layers and generations
    def areas_version(self) -> int: ...

    def layers(self, retired: bool = False) -> list[Layer]: ...

    def layer(self, name: str, retired: bool = False) -> Layer: ...

    def set_layer(self, layer: Layer) -> None: ...

    def add_layer(self, layer: Layer, before: str | None = None) -> None: ...

    def layer_crs(self, layer: str) -> str | None: ...

    def set_layer_crs(self, layer: str, crs: str | None) -> None: ...

    def generations(self) -> list[Generation]: ...

    def generation(self, ref: int | str | None = None) -> Generation: ...

    def generation_at(
        self, generation: int | str | None = None, day: date | None = None
    ) -> Generation: ...

    def add_generation(
        self,
        name: str,
        description: str = "",
        activate: bool = False,
        effective: date | None = None,
    ) -> Generation: ...

    def mark_active(
        self, generation: int | str, effective: date | None = None, moved: dict | None = None
    ) -> None: ...

    def set_effective(
        self, generation: int | str, start: date | None, end: date | None = None
    ) -> None: ...

    def drop_generation(self, generation: int | str) -> dict[str, int]: ...

    # -- areas
    def write_areas(
        self, layer: str, areas: gpd.GeoDataFrame, generation: int, until: int | None = None
    ) -> int: ...

    def end_areas(self, layer: str, codes: Sequence[str], last_generation: int) -> None: ...

    def areas(self, layer: str, generation: int | str | None = None) -> gpd.GeoDataFrame: ...

    def area(self, layer: str, code: str, generation: int | str | None = None) -> pd.Series: ...

    def area_by_id(self, layer: str, area_id: int) -> pd.Series: ...

    def area_names(self, layer: str, generation: int | str | None = None) -> dict[str, tuple]: ...

    def count_areas(self, layer: str, generation: int | str | None = None) -> int: ...

    def bounds(self, layer: str, generation: int | str | None = None) -> list[float]: ...

    def find_areas(
        self, text: str, generation: int | str | None = None, limit: int = 10
    ) -> list[dict]: ...

    # -- the officers on duty in areas
    def add_officers(self, officers: Sequence[Officer]) -> None: ...

    def officers(self, layer: str | None = None) -> list[Officer]: ...

    def officers_for(self, layer: str, codes: Sequence[str]) -> dict[str, Officer]: ...


@runtime_checkable
class RoutingStore(Transactions, Protocol):
    """Departments, the routing rules (category × zone → department), the calendar's
    local days off and make-up days, and the city's clocks and limits per category: what
    routing and deadlines read."""

    def departments(self) -> dict[str, Department]: ...

    def save_department(self, d: Department) -> None: ...

    def rules(self) -> list[Rule]: ...

    def add_rule(self, rule: Rule) -> int: ...

    def change_rule(self, rule_id: int, rule: Rule) -> None: ...

    def move_rule(self, rule_id: int, offset: int) -> None: ...

    def remove_rule(self, rule_id: int) -> None: ...

    def calendar_days(self) -> dict[date, bool]: ...

    def calendar_notes(self) -> list[dict]: ...

    def set_calendar_day(self, day: date, working: bool | None, note: str = "") -> None: ...

    def clock_rules(self) -> list[ClockRule]: ...

    def set_clock_rule(self, code: str, rule: ClockRule | None) -> None: ...


@runtime_checkable
class HazardStore(Transactions, Protocol):
    """Hazards (隐患) and their inspections."""

    def add_hazards(self, hazards: gpd.GeoDataFrame, checked: bool = False) -> list[int]: ...

    def hazards(self, bbox: Sequence[float] | None = None) -> gpd.GeoDataFrame: ...

    def hazard(self, hazard_id: int) -> dict: ...

    def add_inspection(
        self,
        hazard_id: int,
        day: date,
        inspector: str,
        result: str,
        note: str,
        next_inspection: date,
        risk_level: int | None = None,
    ) -> int: ...

    def hazard_photos(self, hazard_id: int) -> list[tuple[int, int | None]]: ...

    def inspections(self, hazard_id: int) -> list[dict]: ...

    def hazards_due(self, day: date, grids: Sequence[str] | None = None) -> list[dict]: ...


@runtime_checkable
class SubmissionStore(Transactions, Protocol):
    """Idempotency keys: which record a report or an inspection sent with a key made."""

    def claim_key(self, key: str, kind: str, actor: str) -> dict | None: ...

    def set_key_record(self, key: str, record_id: int) -> None: ...


@runtime_checkable
class CaseStore(RoutingStore, HazardStore, SubmissionStore, Protocol):
    """Incidents and their cases: the steps and events of each, photos, work lists, the
    board's counts, copies of the case tables; with the routing and the hazards the case
    loop works with."""

    # -- incidents (events: hazards share the bulk path and the re-resolved areas)
    def add_incidents(self, incidents: gpd.GeoDataFrame, checked: bool = False) -> list[int]: ...

    def incidents(
        self,
        bbox: Sequence[float] | None = None,
        query: IncidentQuery | None = None,
        limit: int | None = None,
        oldest_first: bool = False,
        offset: int = 0,
        deadlines: bool = False,
    ) -> gpd.GeoDataFrame: ...

    def incidents_in(
        self,
        query: IncidentQuery,
        limit: int,
        offset: int = 0,
        oldest_first: bool = False,
        deadlines: bool = False,
    ) -> tuple[gpd.GeoDataFrame, int]: ...

    def count_incidents(self, query: IncidentQuery | None = None) -> int: ...

    def incident(self, incident_id: int) -> pd.Series: ...

    def incident_coordinates(
        self, query: IncidentQuery | None = None, statuses: bool = False
    ) -> np.ndarray: ...

    def incidents_version(self) -> tuple[int, int, int, int]: ...

    def set_event_areas(
        self,
        table: str,
        ids: Sequence[int],
        generation: int,
        grid_codes: Sequence,
        areas: Sequence[str],
        homes: Sequence[tuple] | None = None,
    ) -> None: ...

    def bulk_events(self, table: str) -> AbstractContextManager[None]: ...

    # -- cases and their steps
    def case(self, incident_id: int) -> dict: ...

    def cases_by_id(self, ids: Sequence[int]) -> list[dict]: ...

    def case_departments(self, ids: Sequence[int]) -> dict[int, str | None]: ...

    def set_case(self, incident_id: int, **values) -> None: ...

    def set_cases(self, rows: list[dict]) -> None: ...

    def add_event(
        self,
        incident_id: int,
        action: str,
        from_status: str | None,
        to_status: str,
        note: str = "",
        detail: dict | None = None,
        at: datetime | None = None,
    ) -> int: ...

    def add_events(self, rows: list[tuple]) -> None: ...

    def apply_step(self, incident_id: int, expected: str, step: Step, at: datetime) -> int: ...

    def apply_steps(self, steps: Sequence[tuple[int, str, Step]], at: datetime) -> list[int]: ...

    def case_events(self, incident_id: int) -> list[dict]: ...

    # -- duplicates: open cases nearby, and cases merged into another
    def nearby_open(
        self, lon: float, lat: float, category: str, metres: float, limit: int = 5
    ) -> list[dict]: ...

    def add_case_links(self, parent_id: int, child_ids: Sequence[int]) -> None: ...

    def case_parent(self, incident_id: int) -> int | None: ...

    def case_children(self, ids: Sequence[int]) -> dict[int, list[int]]: ...

    # -- photos (of a case's step, or of a hazard)
    def add_photo(
        self,
        data: bytes,
        thumb: bytes,
        content_type: str,
        incident_id: int | None = None,
        hazard_id: int | None = None,
        event: int | None = None,
    ) -> int: ...

    def photo(self, photo_id: int, thumb: bool = False) -> dict: ...

    # -- work lists, the board and its counts
    def cases(
        self,
        grids: Sequence[str] | None = None,
        department: str | None = None,
        statuses: Sequence[str] | None = None,
        overdue_at: str | None = None,
        limit: int = 200,
    ) -> list[dict]: ...

    def case_list(
        self,
        scope: CaseScope,
        f: CaseFilter,
        now_utc: str,
        sort: str = "due",
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[dict], int]: ...

    def overdue_ids(
        self, now_utc: str, statuses: Sequence[str] = ("dispatched", "handling")
    ) -> list[int]: ...

    def board(self, now_utc: str, since_utc: str) -> dict: ...

    def incident_counts(self) -> dict[tuple[str, int], int]: ...

    def recount_incidents(self) -> None: ...

    # -- copies of the case tables (and the public channel's)
    def case_rows(self, table: str) -> list[dict]: ...

    def add_case_rows(self, table: str, rows: list[dict]) -> None: ...


@runtime_checkable
class PlanStore(Transactions, Protocol):
    """Redistricting plans, and the state of the background jobs that search for them."""

    def save_plan(
        self,
        name: str,
        spec: dict,
        assignment: dict[str, str],
        plan_id: int | None = None,
        bounds: dict | None = None,
        author: str | None = None,
    ) -> int: ...

    def plans(self) -> list[dict]: ...

    def load_plan(self, plan_id: int) -> dict: ...

    def add_plan_review(
        self,
        plan_id: int,
        step: str,
        note: str = "",
        names: dict[str, str] | None = None,
        version: str = "",
        generation: int | None = None,
    ) -> dict: ...

    def plan_reviews(self, plan_id: int | None = None) -> list[dict]: ...

    def add_job(self, key: str, owner: str, kind: str, request: dict, worker: str) -> dict: ...

    def job(self, key: str) -> dict: ...

    def update_job(self, key: str, **values) -> None: ...

    def open_jobs(self, owner: str | None = None) -> list[dict]: ...

    def interrupt_jobs(self, workers: list[str]) -> int: ...


@runtime_checkable
class PeopleStore(Transactions, Protocol):
    """Users, their API tokens and browser sessions, the counts behind rate limits, and
    the audit trail their changes leave."""

    def audit_log(
        self,
        since: datetime | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int = 200,
        target: str | None = None,
    ) -> list[dict]: ...

    def last_sign_ins(self) -> dict[str, str]: ...

    def add_user(
        self,
        name: str,
        password_hash: str,
        roles: Sequence[str],
        areas: Sequence[str] = (),
        department: str | None = None,
    ) -> User: ...

    def user(self, name: str) -> User: ...

    def users(self) -> list[User]: ...

    def update_user(
        self,
        name: str,
        *,
        keep_session: str | None = None,
        keep_tokens: bool = False,
        **changes,
    ) -> User: ...

    def add_token(
        self, user: str, name: str, digest: str, role: str, expires: datetime | None = None
    ) -> Token: ...

    def tokens(self, user: str | None = None, token_id: int | None = None) -> list[Token]: ...

    def revoke_token(self, token_id: int) -> None: ...

    def revoke_tokens(self, user: str, reason: str) -> int: ...

    def token_user(self, digest: str) -> tuple[User, str] | None: ...

    def add_session(self, user: str, digest: str, agent: str = "", address: str = "") -> None: ...

    def session_user(self, digest: str, idle: float, lifetime: float) -> User | None: ...

    def end_session(self, digest: str, reason: str = "sign_out") -> None: ...

    def end_sessions(self, user: str, reason: str, keep: str | None = None) -> int: ...

    def sessions(self, user: str | None = None) -> list[dict]: ...

    def attempts(self, name: str, seconds: int) -> int: ...

    def count_attempts(
        self, name: str, seconds: int, n: int = 1, limit: int | None = None
    ) -> bool: ...


@runtime_checkable
class PublicStore(Transactions, Protocol):
    """The public channel's records: Open311 client apps' keys, the public's reports by
    tracking number, cases as an Open311 client asks for them, the department's public
    replies and the public's ratings."""

    def add_open311_key(self, name: str, digest: str) -> int: ...

    def open311_keys(self) -> list[dict]: ...

    def revoke_open311_key(self, name: str) -> None: ...

    def open311_client(self, digest: str) -> str | None: ...

    def add_public_report(self, incident_id: int, digest: str, client: str) -> None: ...

    def public_report(self, digest: str) -> int: ...

    def requests(
        self,
        ids: Sequence[int] | None = None,
        categories: Sequence[str] | None = None,
        statuses: Collection[str] | None = None,
        since_utc: str | None = None,
        until_utc: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        limit: int = 1000,
    ) -> list[dict]: ...

    def last_events(self, ids: Sequence[int]) -> dict[int, dict]: ...

    def public_counts(self) -> dict: ...


@runtime_checkable
class SchedulerStore(Transactions, Protocol):
    """The scheduler's records: the lease of who runs each tick, the outbox of messages,
    the notices already given, and how people want to be told (``scheduler.py``)."""

    def acquire_lease(self, name: str, holder: str, now_utc: str, until_utc: str) -> bool: ...

    def release_lease(self, name: str, holder: str) -> None: ...

    def lease(self, name: str) -> dict | None: ...

    def add_messages(self, rows: Sequence[dict]) -> None: ...

    def claim_messages(
        self, holder: str, now_utc: str, until_utc: str, limit: int = 100
    ) -> list[dict]: ...

    def settle_messages(
        self,
        holder: str,
        sent_utc: str,
        sent: Sequence[int],
        failed: Sequence[tuple[int, str, str | None]] = (),
    ) -> None: ...

    def messages(
        self, incident_id: int | None = None, state: str | None = None, limit: int = 1000
    ) -> list[dict]: ...

    def add_notice(self, kind: str, ref: int, key: str) -> bool: ...

    def due_soon_ids(self, now_utc: str) -> list[tuple[int, str]]: ...

    def hazards_to_remind(self, day: str) -> list[dict]: ...

    def set_contact(
        self,
        user_name: str,
        email: str = "",
        phone: str = "",
        webhook: str = "",
        lang: str = "zh",
        channels: Sequence[str] = (),
    ) -> None: ...

    def contacts(self, names: Sequence[str] | None = None) -> dict[str, dict]: ...

    def add_public_contact(
        self, incident_id: int, email: str = "", phone: str = "", lang: str = "zh"
    ) -> None: ...

    def public_contact(self, incident_id: int) -> dict | None: ...

    def public_contacts(self, ids: Sequence[int]) -> dict[int, dict]: ...


@runtime_checkable
class CasesAndAreas(CaseStore, AreaStore, Protocol):
    """Cases with the areas they lie in: the board's communities, a report's preview
    (its zone's duty officer), moving events into a new generation's areas, exports."""


@runtime_checkable
class PublicChannel(PublicStore, CaseStore, AreaStore, Protocol):
    """The public channel with the case loop it feeds and the areas its statistics
    name."""


@runtime_checkable
class EvaluationStore(RoutingStore, AreaStore, Protocol):
    """The monthly evaluation's counts (per department or grid, in SQL) and the points
    hotspots are found in, with the departments, areas and officers they name."""

    def evaluation_counts(
        self, since_utc: str, until_utc: str, by: str, dispatch_seconds: float
    ) -> list[dict]: ...

    def incident_points(
        self, since_utc: str, until_utc: str, categories: Sequence[str] | None = None
    ) -> dict[str, np.ndarray]: ...


@runtime_checkable
class Store(PublicChannel, PlanStore, PeopleStore, SchedulerStore, EvaluationStore, Protocol):
    """A whole store: every aggregate; the store's URL, what opening it migrated
    (``gridmap db upgrade`` shows it), and ``close`` (or ``with store:``)."""

    url: str
    migrated: list[str]

    def close(self) -> None: ...

    def __enter__(self: _S) -> _S: ...

    def __exit__(self, *exc: object) -> None: ...
