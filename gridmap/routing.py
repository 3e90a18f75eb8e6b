"""Routing rules as data: a case's category and place decide its department.

Rules are ordered; the first whose category (a code or its prefix; empty: any) matches
and whose place matches wins.  A place is a layer (the point lies in one of its areas:
a department's zones, say) or one area of a layer; no place matches everywhere.  The
case's zone is the area of the department's own zone layer at the point.  As
docs/routing.md puts it: category prefix × zone → department, first match wins, with the
community workstation as the fallback (the last rule, with no category and no place).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str
    name_en: str
    layer: str | None = None  # its zone layer; None: the whole city is one zone

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class Rule:
    position: int
    category: str
    layer: str | None
    area_code: str | None
    department: str
    id: int | None = None

    def matches(self, category: str, areas: Mapping[str, str]) -> bool:
        if not category.startswith(self.category):
            return False
        if self.layer is None:
            return True
        code = areas.get(self.layer)
        if code is None:
            return False
        return self.area_code is None or code == self.area_code


@dataclass(frozen=True)
class Route:
    """Where a case goes: the department, its zone at the point, the rule that decided."""

    department: Department | None
    zone_code: str | None
    rule: Rule | None


def route(
    rules: Sequence[Rule],
    departments: Mapping[str, Department],
    category: str,
    areas: Mapping[str, str],
) -> Route:
    """``areas``: the point's area code per layer (admin layers and zones alike)."""
    for rule in sorted(rules, key=lambda r: (r.position, r.id or 0)):
        if rule.matches(category, areas):
            dept = departments.get(rule.department)
            zone = areas.get(dept.layer) if dept is not None and dept.layer else None
            return Route(dept, zone, rule)
    return Route(None, None, None)
