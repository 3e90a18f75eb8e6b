"""UI text in Simplified Chinese and English.

The language comes from ``?lang=``, then the ``lang`` cookie, then the browser's
Accept-Language; Chinese by default.
"""

from __future__ import annotations

from flask import request

from gridmap.catalogue import CATEGORIES, HAZARD_TYPES, MAJOR_CLASSES, RISK_LEVELS, STATUSES

LANGUAGES = ("zh", "en")

TEXT = {
    "title": ("网格化管理地图", "Grid management map"),
    "incidents": ("事件", "Incidents"),
    "hazards": ("隐患", "Hazards"),
    "status": ("状态", "Status"),
    "category": ("类别", "Category"),
    "all": ("全部", "All"),
    "since": ("开始日期", "From"),
    "until": ("结束日期", "To"),
    "apply": ("筛选", "Filter"),
    "search": ("搜索编码或名称", "Search code or name"),
    "not_found": ("未找到", "Not found"),
    "what_is_here": ("这里归谁管", "Who is responsible here"),
    "not_covered": ("不在任何区域内", "Not covered by any area"),
    "on_border": ("位于边界上", "On a border"),
    "officer": ("网格员", "Grid officer"),
    "duty_officer": ("值班人员", "Duty officer"),
    "reported_at": ("上报时间", "Reported"),
    "areas": ("所在区域", "Areas"),
    "risk_level": ("风险等级", "Risk level"),
    "next_inspection": ("下次检查", "Next inspection"),
    "legend": ("图例", "Legend"),
    "open_incidents": ("未结事件", "Open incidents"),
    "age_days": ("天", "days"),
    "no_open_incidents": ("本网格没有未结事件", "No open incidents in this grid"),
    "grid_view": ("网格视图", "Grid view"),
    "language": ("English", "中文"),
    "data": ("数据", "Data"),
    "zoom_in_for_more": ("放大查看单个事件", "Zoom in to see single incidents"),
    "type": ("类型", "Type"),
    "loading": ("加载中…", "Loading…"),
    "sign_in": ("登录", "Sign in"),
    "audit": ("审计", "Audit"),
    "sign_out": ("退出", "Sign out"),
    "user_name": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码不正确", "Wrong user name or password"),
    "login_blocked": (
        "登录失败次数过多，请五分钟后再试",
        "Too many failed sign-ins: try again in five minutes",
    ),
}

# The kinds of layer (``gridmap.model.LAYER_KINDS``) as the data and admin pages name them.
LAYER_KINDS = {
    "admin": (
        "行政层级（区、街道、社区、网格）",
        "Boundary hierarchy (district, street, community, grid)",
    ),
    "zone": ("部门辖区", "Department zones"),
    "reference": (
        "参考图层（学校、公园等，不改变归属）",
        "Reference (schools, parks: owns nothing)",
    ),
}


def language() -> str:
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES, default="zh")


def texts(lang: str) -> dict[str, str]:
    k = LANGUAGES.index(lang)
    return {key: pair[k] for key, pair in TEXT.items()}


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


def layer_title(layer, lang: str) -> str:
    return layer.title_zh if lang == "zh" else layer.title_en


def pick(zh: str, en: str) -> str:
    """The text in the page's language (templates call it as ``L``)."""
    return zh if language() == "zh" else en
