"""What the planner's rules, feasibility checks and automatic runs say, with a code and
parameters beside the English.

A :class:`Said` is the English text (what the command line prints and the API's
``reason``/``message`` keep, unchanged) that also carries a ``code`` and its ``values``,
so that a page says the same in its reader's language (``web.i18n.said``, and
``planner.js``/``plans.js`` from the same catalogue).  Values are ready to show (numbers
already grouped, ratios already percent); a value may itself be a said thing
(``{"code", "values"}``: a range, "at least N"), said in the same language.

>>> s = Said("rule.districts", "the plan has 3 districts; expected 4", count=3, k=4)
>>> str(s), s.as_dict()
('the plan has 3 districts; expected 4', {'code': 'rule.districts', 'values': {'count': 3, 'k': 4}})
"""  # noqa: E501

from __future__ import annotations


class Said(str):
    """English text with a code and parameters (see the module)."""

    code: str
    values: dict

    def __new__(cls, code: str, english: str, **values) -> Said:
        out = super().__new__(cls, english)
        out.code = code
        out.values = values
        return out

    def as_dict(self) -> dict:
        return {"code": self.code, "values": {k: _plain(v) for k, v in self.values.items()}}

    def __reduce__(self):  # kept whole through pickling (a job's messages, a process pool)
        return (_rebuild, (self.code, str(self), self.values))


def _rebuild(code: str, english: str, values: dict) -> Said:
    return Said(code, english, **values)


def _plain(value):
    if isinstance(value, Said):
        return value.as_dict()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def as_dict(text: str) -> dict | None:
    """The code and values of ``text`` when it carries them (a :class:`Said`), else None."""
    return text.as_dict() if isinstance(text, Said) else None


def count(n: float) -> str:
    """A count or population as the texts show it: grouped by thousands."""
    return f"{n:,.0f}"


def bounds(low: float | None, high: float | None, sep: str = "..") -> Said:
    """A population range as the texts say it: low..high, at least low, at most high."""
    if low is not None and high is not None:
        return Said("bounds.range", f"{low:,.0f}{sep}{high:,.0f}", low=count(low), high=count(high))
    if low is not None:
        return Said("bounds.low", f"at least {low:,.0f}", low=count(low))
    return Said("bounds.high", f"at most {high:,.0f}", high=count(high))
