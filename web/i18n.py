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
    # Where a case's clock stands (预警): most of its limit used, or all of it.
    "due_soon": ("即将超期", "Due soon"),
    "overdue": ("已超期", "Overdue"),
    "due": ("截止", "Due"),
    "open_incidents": ("未结事件", "Open incidents"),
    "age_days": ("天", "days"),
    "no_open_incidents": ("本网格没有未结事件", "No open incidents in this grid"),
    "grid_view": ("网格视图", "Grid view"),
    "language": ("English", "中文"),
    "data": ("数据", "Data"),
    "zoom_in_for_more": ("放大查看单个事件", "Zoom in to see single incidents"),
    "cluster_of": ("{n} 起事件", "{n} incidents"),
    "list_separator": ("，", ", "),
    "call": ("拨打", "Call"),
    "type": ("类型", "Type"),
    "loading": ("加载中…", "Loading…"),
    "sign_in": ("登录", "Sign in"),
    "audit": ("审计", "Audit"),
    "sign_out": ("退出", "Sign out"),
    "user_name": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码不正确", "Wrong user name or password"),
    "login_blocked": (
        "登录失败次数过多，请十分钟后再试",
        "Too many failed sign-ins: try again in ten minutes",
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


# Refusals a page shows, by the domain error's ``code``, filled with its ``values``.
REFUSALS = {
    "generation.not_staged": (
        "版本 {generation} 不是暂存的版本：它已启用，或已成为历史",
        "generation {generation} is not staged: it is active or history",
    ),
    "generation.newer": (
        "版本 {newer} 是在 {generation} 之后发布的：请先放弃 {newer}",
        "generation {newer} was published after {generation}: discard it first",
    ),
    "generation.has_plans": (
        "方案“{plan}”是在版本 {generation} 上制作的：请先删除该方案",
        "plan {plan!r} was made on generation {generation}: delete it first",
    ),
    "generation.in_use": (
        "版本 {generation} 已有 {count} 条记录归属于它：它曾经启用过，不能放弃",
        "generation {generation} holds {count} records: it was in use and cannot be discarded",
    ),
    "publish.no_parent": (
        "该方案没有上级图层：新区域的编码在上级区域内编排，请选择上级图层重新制作方案",
        "the plan has no parent layer: new areas are numbered inside their parent's areas; "
        "make the plan with a parent layer",
    ),
    "publish.layer": (
        "不能发布到图层 {layer}：请发布到新图层（如 community）或单元自身的图层",
        "cannot publish into layer {layer}: publish into a new layer (such as community) or "
        "the units' own",
    ),
    "publish.newer": (
        "方案是在版本 {source} 上制作的，但已有更新的版本 {newest}：请在最新版本上制作方案"
        "（若 {newest} 是暂存的，也可以先放弃它）",
        "the plan was made on generation {source}, but a newer one ({newest}) exists: plan "
        "on the newest generation (or discard {newest} if it is staged)",
    ),
    "user.exists": ("用户 {name} 已存在：请换一个用户名", "user {name} exists already"),
    "user.name": (
        "用户名须为 1–{max} 个字符，不含空格",
        "the user name must be 1-{max} characters without spaces",
    ),
    "user.area": (
        "区域编码 {area} 不是任何网格的编码或其开头：请检查",
        "area {area}: no grid's code is or starts with it",
    ),
    "user.role": ("请至少选择一个角色", "choose one or more roles"),
    "user.department": ("部门用户须选择所属部门", "a department user needs its department"),
    "token.revoked": ("令牌 {token} 已经吊销", "token {token} is revoked already"),
    "publish.area_name": (
        "区域 {area} 的名称须为 1–100 个字符",
        "the name of area {area} must be 1-100 characters",
    ),
    "publish.area_unknown": ("没有编码为 {area} 的新区域", "no new area has code {area}"),
    "publish.rules": ("方案不符合规则：{reasons}", "the plan breaks the rules: {reasons}"),
    "plan.infeasible": (
        "没有方案能满足这些要求：{reasons}",
        "no plan can satisfy this request: {reasons}",
    ),
    "approval.submitted": (
        "方案“{plan}”已提交审批，请等待管理员处理",
        "plan {plan!r} is submitted already: wait for an admin",
    ),
    "approval.published": ("方案“{plan}”已经发布", "plan {plan!r} is published already"),
    "approval.not_submitted": (
        "方案“{plan}”没有在等待审批",
        "plan {plan!r} is not waiting for approval",
    ),
    "approval.changed": (
        "方案“{plan}”在提交审批后又被修改过：请规划人员重新提交",
        "plan {plan!r} was changed after it was submitted: it must be submitted again",
    ),
    "approval.note": ("说明最多 {max} 个字", "the note may hold at most {max} characters"),
    "approval.note_missing": (
        "请写明退回的原因：规划人员需要知道改什么",
        "say why it is sent back: the planner needs to know what to change",
    ),
    "publish.too_many_grids": (
        "方案中有区域含 {grids} 个网格，超出 {width} 位网格编码的容量：请拆分为更小的区域",
        "an area of the plan holds {grids} grids, more than {width}-digit grid codes "
        "number: split it into smaller areas",
    ),
}


# The roles' names as people read them (the codes stay in the audit and the API).
ROLE_NAMES = {
    "admin": ("管理员", "Administrator"),
    "planner": ("规划人员", "Planner"),
    "dispatcher": ("调度员", "Dispatcher"),
    "department": ("部门处置人员", "Department staff"),
    "officer": ("网格员", "Grid officer"),
    "leader": ("领导", "Leader"),
    "viewer": ("只读用户", "Viewer"),
}


# A user's sign-in history: the audit rows' actions, and why a session ended.
SIGN_IN_EVENTS = {
    "sign_in": ("登录", "Signed in"),
    "sign_in.failed": ("登录失败", "Failed sign-in"),
    "sign_out": ("退出", "Signed out"),
    "session.end": ("会话结束", "Session ended"),
}
END_REASONS = {
    "sign_out": ("本人退出", "signed out"),
    "everywhere": ("管理员令其全部退出", "signed out everywhere by an admin"),
    "password": ("密码已更改", "the password changed"),
    "disabled": ("账号已停用", "the account was disabled"),
    "idle": ("长时间未操作", "idle too long"),
    "lifetime": ("登录时间已到上限", "reached its lifetime"),
}


# A plan's state on its way to publication (``gridmap.services.approvals``).
REVIEW_STEPS = {
    "draft": ("草稿", "Draft"),
    "submitted": ("待审批", "Waiting for approval"),
    "returned": ("已退回", "Sent back"),
    "published": ("已发布", "Published"),
}


def step_name(step: str) -> str:
    return _named(REVIEW_STEPS, step)


def role_name(role: str) -> str:
    return _named(ROLE_NAMES, role)


def needs_roles(roles) -> str:
    """A refusal for want of a role, naming the roles that may (a page's 403)."""
    names = pick("、", ", ").join(role_name(r) for r in roles)
    return pick(f"只有{names}可以这样做", f"Only {names} may do this")


def sign_in_event(action: str) -> str:
    return _named(SIGN_IN_EVENTS, action)


def end_reason(reason: str) -> str:
    return _named(END_REASONS, reason)


def _named(names: dict, code: str) -> str:
    pair = names.get(code)
    return pick(*pair) if pair else code


def refusal(exc: Exception) -> str:
    """A domain error as the page's language says it (its message when its code has no
    translation)."""
    code = getattr(exc, "code", None) or ""
    if code == "access.roles":  # the roles by their names
        return needs_roles(exc.values["roles"])
    pair = REFUSALS.get(code)
    if pair is None:
        return str(exc)
    values = {k: _value(v) for k, v in (getattr(exc, "values", None) or {}).items()}
    try:
        return pick(*pair).format(**values)
    except (KeyError, IndexError):
        return str(exc)


# What the planner's rules, feasibility checks and automatic runs say
# (``boundaries.said``): by code, with {parameters} already fit to show.  The pages'
# scripts get the same table (``said_texts``) and fill it the same way (``api.js``).
SAID = {
    "bounds.range": ("{low}–{high}", "{low}..{high}"),
    "bounds.low": ("至少 {low}", "at least {low}"),
    "bounds.high": ("至多 {high}", "at most {high}"),
    "rule_name.contiguous": ("连通", "contiguous"),
    "rule_name.population": ("人口", "population"),
    "rule_name.nested": ("嵌套", "nested"),
    "rule_name.districts": ("区域数", "districts"),
    "rule.contiguous.ok": ("每个区域都连成一片", "every district is contiguous"),
    "rule.contiguous": (
        "区域 {district} 分成了 {pieces} 块：{parts}",
        "district {district} is in {pieces} pieces: {parts}",
    ),
    "rule.population.ok": (
        "每个区域的人口都在范围内",
        "every district's population is within bounds",
    ),
    "rule.population": (
        "区域 {district} 有 {population} 人，应为 {expected} 人",
        "district {district} has {population} residents; expected {expected}",
    ),
    "rule.population.none": (
        "未设人口范围；最大偏差 {deviation}",
        "no bound given; max deviation {deviation}",
    ),
    "rule.nested.none": (
        "没有上级图层：无需落在上级区域内",
        "no parent layer: nothing to lie inside",
    ),
    "rule.nested.ok": ("每个区域都在一个上级区域内", "every district lies inside one parent area"),
    "rule.nested": (
        "区域 {district} 跨越了上级区域 {parents}",
        "district {district} crosses parent areas {parents}",
    ),
    "rule.districts.ok": ("{k} 个区域", "{k} districts"),
    "rule.districts": (
        "方案有 {count} 个区域，应为 {k} 个",
        "the plan has {count} districts; expected {k}",
    ),
    "rule.districts.none": ("{count} 个区域（未指定区域数）", "{count} districts (no k given)"),
    "feasible.parent": (
        "{parent} 有 {population} 人，无法分成每个 {bounds} 人的区域：分成 {large} 个则太大，"
        "分成 {small} 个则太小",
        "{parent} has {population} residents, which cannot be divided into districts of "
        "{bounds}: {large} districts would be too large, {small} too small",
    ),
    "feasible.k_range": (
        "{k} 个区域无法满足人口范围：各上级区域共需 {fewest} 到 {most} 个 {bounds} 人的区域",
        "{k} districts cannot respect the bounds: the parents need between {fewest} and "
        "{most} districts of {bounds}",
    ),
    "feasible.contiguity": (
        "{parent} 的单元分成了 {pieces} 块：{units} 与其余单元不相邻；请手动把它们连到相邻单元后"
        "再制作连通的方案",
        "{parent}'s units are in {pieces} pieces: {units} share no border with the rest; "
        "link them to a neighbour by hand to plan contiguous areas",
    ),
    "feasible.total": (
        "各单元的 {of} 都是 0：无可均衡",
        "the units have no {of}: nothing to balance",
    ),
    "feasible.bounds": (
        "人口下限 {low} 高于上限 {high}",
        "the minimum {low} is above the maximum {high}",
    ),
    "feasible.k_min": ("区域数为 {k}，至少应为 1", "k is {k}; expected at least 1 district"),
    "feasible.k_units": (
        "{k} 个区域却只有 {units} 个单元：每个区域至少需要一个单元",
        "{k} districts from {units} units: each district needs at least one unit",
    ),
    "feasible.unit": (
        "{count} 个单元（{units}）超过上限 {high}：任何方案都容纳不了；请减少区域数或放宽范围",
        "{count} unit(s) ({units}) above the maximum {high}: no plan can hold them; ask "
        "fewer districts or wider bounds",
    ),
    "run.nest_floor": (
        "嵌套的方案无法做到与理想值 {ideal} 相差 ±{epsilon} 以内：{parent} 有 {population} 人，"
        "其 {districts} 个区域平均 {average}（{gap}）；{fewer} 个或 {more} 个会偏差更大",
        "no nested plan can be within ±{epsilon} of the ideal {ideal}: {parent} has "
        "{population}; its {districts} districts average {average} ({gap}); {fewer} or "
        "{more} would be further off",
    ),
    "run.first_valid": (
        "{seconds} 秒：首个符合全部规则的方案，最大偏差 {deviation}",
        "{seconds}s: first plan within every rule, max deviation {deviation}",
    ),
    "run.progress": ("{seconds} 秒：最大偏差 {deviation}", "{seconds}s: max deviation {deviation}"),
    "run.whole": (
        "{units} 个完整单元组成 {k} 个区域：最大偏差 {deviation}",
        "{k} districts over {units} whole units: max deviation {deviation}",
    ),
    "run.split": (
        "{units} 个单元组成 {k} 个区域（拆分了 {split} 个原单元）：最大偏差 {deviation}",
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
        return pick(*SAID[found["code"]]).format(**values)
    except (KeyError, IndexError):
        return str(text)


def _value(value):
    """A parameter as said: nested said things said too, lists joined."""
    if isinstance(value, list | tuple):
        return (
            pick("；", "; ").join(str(_value(v)) for v in value)
            if any(hasattr(v, "as_dict") or isinstance(v, dict) for v in value)
            else pick("、", ", ").join(str(v) for v in value)
        )
    if hasattr(value, "as_dict") or (isinstance(value, dict) and "code" in value):
        return said(value)
    return value


def said_texts(lang: str) -> dict[str, str]:
    """:data:`SAID` in ``lang``, for the pages' scripts."""
    k = LANGUAGES.index(lang)
    return {code: pair[k] for code, pair in SAID.items()}


# The columns of the rejected rows' CSV (the data page's check).
REJECTED_COLUMNS = (("行号", "Row"), ("字段", "Field"), ("值", "Value"), ("原因", "Reason"))


def rejected_columns() -> list[str]:
    return [pick(*pair) for pair in REJECTED_COLUMNS]


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


def percent(ratio: float, signed: bool = False) -> str:
    """A ratio as every page shows deviations and shares: percent with one decimal (the
    JSON keeps the ratio; ``planner.js``'s ``pct`` writes the same for the live panel).

    >>> percent(0.1234), percent(-0.05, signed=True), percent(0.0, signed=True)
    ('12.3%', '-5.0%', '+0.0%')
    """
    return f"{ratio:+.1%}" if signed else f"{ratio:.1%}"
