"""Incident categories, the case workflow, hazard types and risk levels.

Categories have two levels: a 2-digit main class (大类) and a 2-digit sub-class (小类),
stored as one 4-digit code ``"0102"``, prefixed by the kind: events (事件) ``E`` and
components (部件) ``C``.  The order of event classes 02-06 is common practice, not a
located standard (see DOMAIN.md), so cities extend this catalogue rather than edit code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    code: str  # kind letter + 2-digit class + 2-digit sub-class, e.g. "E0102"
    name_zh: str
    name_en: str
    time_limit_hours: float  # working hours allowed from dispatch to handled


def _cats(kind: str, major: str, rows: list[tuple[str, str, str, float]]) -> list[Category]:
    return [Category(f"{kind}{major}{sub}", zh, en, hours) for sub, zh, en, hours in rows]


CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in [
        *_cats(
            "E",
            "01",
            [
                ("01", "违法建设", "Illegal structure", 40),
                ("02", "暴露垃圾", "Exposed garbage", 4),
                ("03", "建筑垃圾", "Construction waste", 16),
                ("04", "道路不洁", "Dirty road", 4),
                ("05", "绿地脏乱", "Untidy green space", 8),
            ],
        ),
        *_cats(
            "E",
            "02",
            [
                ("01", "非法小广告", "Illegal flyers", 8),
                ("02", "违规户外广告", "Unauthorised billboard", 24),
            ],
        ),
        *_cats(
            "E",
            "03",
            [
                ("01", "施工扰民", "Construction nuisance", 8),
                ("02", "道路遗撒", "Spillage on road", 4),
            ],
        ),
        *_cats(
            "E",
            "04",
            [
                ("01", "路面塌陷", "Road collapse", 2),
                ("02", "自来水管破裂", "Burst water pipe", 2),
                ("03", "积水", "Flooding", 2),
                ("04", "火灾", "Fire", 1),
            ],
        ),
        *_cats(
            "E",
            "05",
            [
                ("01", "无照经营游商", "Unlicensed vendor", 4),
                ("02", "占道经营", "Road occupation", 4),
                ("03", "乞讨卖艺", "Begging", 8),
            ],
        ),
        *_cats(
            "C",
            "01",
            [
                ("01", "井盖", "Manhole cover", 8),
                ("02", "路灯", "Street lamp", 16),
            ],
        ),
        *_cats(
            "C",
            "02",
            [
                ("01", "公交站亭", "Bus shelter", 16),
                ("02", "护栏", "Guardrail", 16),
                ("03", "交通标志", "Traffic sign", 16),
            ],
        ),
        *_cats(
            "C",
            "03",
            [
                ("01", "公共厕所", "Public toilet", 8),
                ("02", "垃圾箱", "Litter bin", 8),
            ],
        ),
        *_cats(
            "C",
            "04",
            [
                ("01", "行道树", "Street tree", 16),
                ("02", "雕塑", "Sculpture", 40),
            ],
        ),
    ]
}

MAJOR_CLASSES: dict[str, tuple[str, str]] = {
    "E01": ("市容环境", "City appearance"),
    "E02": ("宣传广告", "Street advertising"),
    "E03": ("施工管理", "Construction management"),
    "E04": ("突发事件", "Emergencies"),
    "E05": ("街面秩序", "Street order"),
    "C01": ("公用设施", "Public facilities"),
    "C02": ("道路交通", "Road traffic"),
    "C03": ("市容环境设施", "City appearance facilities"),
    "C04": ("园林绿化", "Greenery"),
}

# The closed loop of DOMAIN.md, in order; side states after it.
STATUSES: dict[str, tuple[str, str]] = {
    "reported": ("采集", "Reported"),
    "accepted": ("立案", "Accepted"),
    "dispatched": ("派遣", "Dispatched"),
    "handling": ("处置", "Handling"),
    "handled": ("反馈", "Handled"),
    "verified": ("核查", "Verified"),
    "closed": ("结案", "Closed"),
    "evaluated": ("评价", "Evaluated"),
    "rejected": ("作废", "Rejected"),
    "returned": ("退回", "Returned"),
    "parked": ("挂账", "Parked"),
    "escalated": ("督办", "Escalated"),
}

# Which status may follow which: the workflow the web UI enforces.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "reported": ("accepted", "rejected"),
    "accepted": ("dispatched",),
    "dispatched": ("handling", "returned", "parked", "escalated"),
    "handling": ("handled", "escalated", "parked"),
    "handled": ("verified", "returned"),
    "verified": ("closed",),
    "closed": ("evaluated",),
    "evaluated": (),
    "rejected": (),
    "returned": ("dispatched",),
    "parked": ("dispatched",),
    "escalated": ("dispatched", "handling"),
}

OPEN_STATUSES = frozenset(s for s in STATUSES if s not in {"closed", "evaluated", "rejected"})

HAZARD_TYPES: dict[str, tuple[str, str]] = {
    "gas": ("燃气设施", "Gas facility"),
    "old_building": ("老旧危房", "Dilapidated building"),
    "construction": ("建筑工地", "Construction site"),
    "flood": ("易涝点", "Flood-prone spot"),
    "chemical": ("危化品存储", "Hazardous chemicals"),
    "crowd": ("人员密集场所", "Crowded venue"),
    "electric": ("电力设施", "Power facility"),
}

# 1 = major (重大) ... 4 = low (低); the colours on the map follow this order.
RISK_LEVELS: dict[int, tuple[str, str]] = {
    1: ("重大", "Major"),
    2: ("较大", "Serious"),
    3: ("一般", "Moderate"),
    4: ("低", "Low"),
}
