"""Incident categories, the case workflow, hazard types and risk levels.

Categories have two levels: a 2-digit main class (大类) and a 2-digit sub-class (小类),
stored as one 4-digit code ``"0102"``, prefixed by the kind: events (事件) ``E`` and
components (部件) ``C``.  The order of event classes 02-06 is common practice, not a
located standard (docs/categories.md), so cities extend this catalogue rather than edit code.
"""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_DAY = 7.5  # the default working day (08:30-12:00, 13:30-17:30)

# The two clocks a limit counts in: working time (gridmap.workcal) or natural time, round
# the clock (emergencies: a fire on a Sunday afternoon cannot wait for Monday morning).
WORK, NATURAL = "work", "natural"
CLOCKS: dict[str, tuple[str, str]] = {
    WORK: ("工作时间", "working time"),
    NATURAL: ("自然时间", "round the clock"),
}


@dataclass(frozen=True)
class Category:
    code: str  # kind letter + 2-digit class + 2-digit sub-class, e.g. "E0102"
    name_zh: str
    name_en: str
    # The time limit from dispatch to handled, in hours ("h") or days ("d") of ``clock``.
    limit: float
    unit: str = "h"
    # Whether a grid officer's report in their own grid is accepted (立案) at once; the
    # rest wait for the command centre (emergencies and what needs a legal review).
    officer_accepts: bool = True
    clock: str = WORK  # WORK or NATURAL; a city changes it as data (workflow.ClockRule)

    @property
    def time_limit_hours(self) -> float:
        """The limit in working hours (a working day counted as :data:`HOURS_PER_DAY`)."""
        return self.limit * (HOURS_PER_DAY if self.unit == "d" else 1.0)

    @property
    def limit_text(self) -> tuple[str, str]:
        """The limit as people say it, in Chinese and English."""
        n = f"{self.limit:g}"
        s = "s" if self.limit != 1 else ""
        if self.clock == NATURAL:
            if self.unit == "d":
                return f"{n}个自然日", f"{n} calendar day{s}"
            return f"{n}小时（全天候）", f"{n} hour{s}, round the clock"
        if self.unit == "d":
            return f"{n}个工作日", f"{n} working day{'s' if self.limit != 1 else ''}"
        return f"{n}个工作小时", f"{n} working hour{'s' if self.limit != 1 else ''}"


def _cats(kind: str, major: str, rows: list[tuple]) -> list[Category]:
    return [Category(f"{kind}{major}{row[0]}", *row[1:]) for row in rows]


CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in [
        *_cats(
            "E",
            "01",
            [
                ("01", "违法建设", "Illegal structure", 5, "d", False),
                ("02", "暴露垃圾", "Exposed garbage", 4),
                ("03", "建筑垃圾", "Construction waste", 2, "d"),
                ("04", "道路不洁", "Dirty road", 4),
                ("05", "绿地脏乱", "Untidy green space", 8),
            ],
        ),
        *_cats(
            "E",
            "02",
            [
                ("01", "非法小广告", "Illegal flyers", 8),
                ("02", "违规户外广告", "Unauthorised billboard", 3, "d"),
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
                ("01", "路面塌陷", "Road collapse", 2, "h", False, NATURAL),
                ("02", "自来水管破裂", "Burst water pipe", 2, "h", False, NATURAL),
                ("03", "积水", "Flooding", 2, "h", False, NATURAL),
                ("04", "火灾", "Fire", 1, "h", False, NATURAL),
                ("05", "燃气泄漏", "Gas leak", 1, "h", False, NATURAL),
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
            "E",
            "06",
            [
                ("01", "矛盾纠纷", "Neighbourhood dispute", 3, "d"),
                ("02", "治安隐患", "Public-order hazard", 1, "d"),
                ("03", "境外人员未登记", "Unregistered foreign resident", 5, "d", False),
            ],
        ),
        # A local class (扩展): the livelihood matters a northern city's platform takes
        # (heating in winter above all), each with the department that answers for it.
        *_cats(
            "E",
            "07",
            [
                ("01", "供热不达标", "Too little heating", 1, "d"),
                ("02", "食品安全", "Food safety", 1, "d", False),
                ("03", "校园周边安全", "Safety around a school", 1, "d"),
                ("04", "病媒生物孳生", "Rats, mosquitoes or flies", 3, "d"),
                ("05", "困难群众求助", "A household in hardship", 2, "d"),
            ],
        ),
        *_cats(
            "C",
            "01",
            [
                # A missing cover is a hole in the street: round the clock, like an emergency.
                ("01", "井盖", "Manhole cover", 8, "h", True, NATURAL),
                ("02", "路灯", "Street lamp", 2, "d"),
            ],
        ),
        *_cats(
            "C",
            "02",
            [
                ("01", "公交站亭", "Bus shelter", 2, "d"),
                ("02", "护栏", "Guardrail", 2, "d"),
                ("03", "交通标志", "Traffic sign", 2, "d"),
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
                ("01", "行道树", "Street tree", 2, "d"),
                ("02", "雕塑", "Sculpture", 5, "d"),
            ],
        ),
        *_cats(
            "C",
            "05",
            [
                ("01", "房屋", "Building", 3, "d"),
                ("02", "宗地", "Land parcel", 5, "d"),
            ],
        ),
        *_cats(
            "C",
            "06",
            [
                ("01", "工地", "Construction site", 2, "d"),
                ("02", "重大危险源", "Major hazard source", 4, "h", False),
                ("03", "电力设施", "Power facility", 1, "d"),
            ],
        ),
    ]
}

# The two kinds a category code starts with (a routing rule may name a whole kind).
KINDS: dict[str, tuple[str, str]] = {"E": ("事件", "Events"), "C": ("部件", "Components")}

MAJOR_CLASSES: dict[str, tuple[str, str]] = {
    "E01": ("市容环境", "City appearance"),
    "E02": ("宣传广告", "Street advertising"),
    "E03": ("施工管理", "Construction management"),
    "E04": ("突发事件", "Emergencies"),
    "E05": ("街面秩序", "Street order"),
    "E06": ("社会治安", "Public order and security"),
    "E07": ("民生服务", "Livelihood"),
    "C01": ("公用设施", "Public facilities"),
    "C02": ("道路交通", "Road traffic"),
    "C03": ("市容环境设施", "City appearance facilities"),
    "C04": ("园林绿化", "Greenery"),
    "C05": ("房屋土地", "Buildings and land"),
    "C06": ("其他设施", "Other facilities"),
}

# The closed loop (docs/case-workflow.md), in order; side states after it.
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

# Which status may follow which (gridmap.workflow names each step and who may take it).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "reported": ("accepted", "rejected"),
    "accepted": ("dispatched",),
    "dispatched": ("handling", "returned", "parked", "escalated"),
    "handling": ("handled", "escalated", "parked"),
    "handled": ("verified", "returned"),
    "verified": ("closed",),
    "closed": ("evaluated", "returned"),  # rated, or reopened (重办)
    "evaluated": ("returned",),
    "rejected": (),
    "returned": ("dispatched",),
    "parked": ("dispatched",),
    "escalated": ("dispatched", "handling"),
}

OPEN_STATUSES = frozenset(s for s in STATUSES if s not in {"closed", "evaluated", "rejected"})
# The deadline clock runs in these (it starts at dispatch, pauses while parked or returned
# and stops once the department reports back).
CLOCK_STATUSES = frozenset({"dispatched", "handling", "escalated"})

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


# What the monthly evaluation (考核) counts of each department, community and officer:
# the store counts them, the service scores them (``gridmap.services.evaluation``).
EVALUATION_COUNTS = (
    "received",
    "dispatched",
    "dispatched_on_time",
    "handled",
    "handled_on_time",
    "reworked",
    "escalated",
    "satisfied",
    "fair",
    "unsatisfied",
)
