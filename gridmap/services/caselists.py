"""Case lists for every desk: the dispatcher's (every case), a department's (its cases),
an officer's (their grids' cases and what they reported anywhere), and a leader's
(read-only).  One service for the web's pages, their CSV and ``gridmap case list``: who
sees which cases is the access policy's :func:`~gridmap.access.case_scope`, the filters
and orders are ``gridmap.caselist``, one page and its count is one store query
(``stores/cases.py``: ``case_list``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from gridmap import access
from gridmap.caselist import MAX_PER_PAGE, PER_PAGE, SORTS, CaseFilter
from gridmap.catalogue import CATEGORIES
from gridmap.errors import InvalidInput
from gridmap.model import utc_text
from gridmap.services.cases import now

if TYPE_CHECKING:
    from gridmap.stores.protocols import CasesAndAreas

CSV_ROWS = 10_000  # the most rows one CSV of a list carries (the page says when cut)


_PLACES: dict[tuple, Places] = {}


@dataclass(frozen=True)
class Places:
    """Names for a list's rows: the grids and the layer above them (the communities)."""

    community_layer: str | None
    grids: dict[str, tuple]
    communities: dict[str, tuple]

    @classmethod
    def of(cls, store: CasesAndAreas) -> Places:
        """The names, read once per store and state of its areas (they change when areas
        are edited or a generation is activated; a list is read every few seconds)."""
        generations = tuple((g.id, g.created, g.active) for g in store.generations())
        key = (store.url, store.areas_version(), generations)
        found = _PLACES.get(key)
        if found is None:
            if len(_PLACES) > 16:
                _PLACES.clear()
            found = _PLACES[key] = cls._read(store)
        return found

    @classmethod
    def _read(cls, store: CasesAndAreas) -> Places:
        layers = {x.name: x for x in store.layers()}
        grid = layers.get("grid")
        parent = grid.parent if grid else None
        grids = store.area_names("grid") if grid else {}
        return cls(parent, grids, store.area_names(parent) if parent else {})

    def community_of(self, grid_code: str | None) -> str | None:
        return self.grids.get(grid_code, (None, None))[1]

    def grids_in(self, community: str) -> tuple[str, ...]:
        """The grids of ``community`` (InvalidInput naming the parameter when unknown)."""
        if community not in self.communities:
            raise InvalidInput(
                f"parameter 'community' is {community!r}; expected the code of an area of "
                f"layer {self.community_layer or 'above the grids'}",
                field="community",
            )
        return tuple(sorted(c for c, (_, parent) in self.grids.items() if parent == community))


def default_sort(caller: access.Caller, f: CaseFilter) -> str:
    """A department's list (a department's own, or one department's cases on the
    dispatcher's) puts escalated and newly dispatched cases first; the others' soonest
    due."""
    scope = access.case_scope(caller)
    own = scope.department and not scope.everything
    return "priority" if own or f.department else "due"


def checked(
    store: CasesAndAreas, f: CaseFilter, places: Places, community: str | None = None
) -> CaseFilter:
    """``f`` with its values checked against the store (InvalidInput names the
    parameter) and ``community`` turned into its grids."""
    if f.department is not None and f.department not in store.departments():
        raise InvalidInput(
            f"parameter 'department' is {f.department!r}; expected a department's code",
            field="department",
        )
    if f.category is not None and not any(c.startswith(f.category) for c in CATEGORIES):
        raise InvalidInput(
            f"parameter 'category' is {f.category!r}; expected a category code or its "
            "prefix (such as E01)",
            field="category",
        )
    if f.since and f.until and f.since > f.until:
        raise InvalidInput(
            f"parameter 'until' is {f.until}; expected a day on or after 'since' ({f.since})",
            field="until",
        )
    return replace(f, grids=places.grids_in(community)) if community else f


def listing(
    store: CasesAndAreas,
    caller: access.Caller,
    f: CaseFilter,
    *,
    community: str | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    most: int = MAX_PER_PAGE,
    at: datetime | None = None,
) -> dict:
    """Page ``page`` of ``caller``'s list filtered by ``f`` (and ``community``): its
    rows (redacted for ``caller``, each with its grid's and community's names), how many
    cases pass in all, the pages.  A page holds at most ``most`` rows (a CSV more)."""
    access.require(caller, access.CASES_LIST)
    sort = sort or default_sort(caller, f)
    if sort not in SORTS:
        raise InvalidInput(
            f"parameter 'sort' is {sort!r}; expected one of {', '.join(SORTS)}", field="sort"
        )
    per_page = max(1, min(int(per_page), most))
    places = Places.of(store)
    f = checked(store, f, places, community)
    scope = access.case_scope(caller)
    at = at or now()
    page = max(1, int(page))
    rows, total = store.case_list(scope, f, utc_text(at), sort, (page - 1) * per_page, per_page)
    return {
        "rows": [_named(caller, r, places) for r in rows],
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / per_page)),
        "per_page": per_page,
        "sort": sort,
        "community_layer": places.community_layer,
        "at": at,
    }


def _named(caller: access.Caller, row: dict, places: Places) -> dict:
    grid = places.grids.get(row.get("grid_code"))
    community = places.community_of(row.get("grid_code"))
    named = {
        **row,
        "grid_name": grid[0] if grid else None,
        "community_code": community,
        "community_name": places.communities.get(community, (None, None))[0],
    }
    return access.redact(caller, named)


def communities(store: CasesAndAreas) -> list[tuple[str, str]]:
    """(code, name) of every community, by name: a list's choices."""
    places = Places.of(store)
    return sorted(((c, n[0]) for c, n in places.communities.items()), key=lambda x: x[1])
