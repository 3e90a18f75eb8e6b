"""The typed surface of the store (``gridmap/stores/protocols.py``) is true of both stores.

``runtime_checkable`` only asks whether the names exist; here every member of every
Protocol is compared with the store's own: the same parameters (names, kinds, order,
defaults, annotations) and the same return annotation, so a Protocol cannot drift from
the implementation it describes.  And the other way round: every public method of the
store is in a Protocol, or is named below as the adapter's business.
"""

from __future__ import annotations

import inspect
from typing import Protocol

import pytest

from gridmap.stores import protocols
from gridmap.stores.protocols import (
    AreaStore,
    CasesAndAreas,
    CaseStore,
    EvaluationStore,
    HazardStore,
    PeopleStore,
    PlanStore,
    PublicChannel,
    PublicStore,
    RoutingStore,
    SchedulerStore,
    Store,
    Transactions,
)

PROTOCOLS = [
    Transactions,
    AreaStore,
    RoutingStore,
    HazardStore,
    CaseStore,
    PlanStore,
    PeopleStore,
    PublicStore,
    SchedulerStore,
    CasesAndAreas,
    PublicChannel,
    EvaluationStore,
    Store,
]

# Public, yet no caller's business: what an adapter supplies or uses (sql.py, "what an
# adapter supplies"), and the bulk path a benchmark writes through.
ADAPTER = {
    "begin_sql",
    "bulk_insert",
    "create_format",
    "decode",
    "driver",
    "encode",
    "extent_grew",
    "format_table",
    "geom_out",
    "in_bbox",
    "insert_rows",
    "keep_derived",
    "lock_schema",
    "read_label",
    "register_attributes",
    "spatial_index",
    "write_label",
}
# How an adapter is made (registry.open_store calls it).
CONSTRUCTORS = {"from_url"}
_CONTEXT = ("__enter__", "__exit__")  # ``with store:``


def members(protocol: type) -> set[str]:
    """The names a Protocol declares, its bases' included."""
    out: set[str] = set()
    for cls in protocol.__mro__:
        if cls in (Protocol, object) or not getattr(cls, "_is_protocol", False):
            continue
        names = [*vars(cls), *getattr(cls, "__annotations__", {})]
        out.update(n for n in names if not n.startswith("_") or n in _CONTEXT)
    return out


def _annotation(fn, text) -> str:
    if text is inspect.Signature.empty:
        return ""
    text = str(text).replace(" ", "")
    # A generator made a context manager by @contextmanager is one, whatever it says.
    if hasattr(fn, "__wrapped__") and text.startswith("Iterator["):
        text = "AbstractContextManager[" + text[len("Iterator[") :]
    return text


def mismatches(expected, found) -> list[str]:
    """How ``found`` (the store's method) fails to be ``expected`` (the Protocol's)."""
    want, got = inspect.signature(expected), inspect.signature(found)
    out = []
    if _annotation(expected, want.return_annotation) != _annotation(found, got.return_annotation):
        out.append(f"returns {got.return_annotation!r}, not {want.return_annotation!r}")
    wanted = list(want.parameters.values())[1:]  # self, whatever it is annotated
    have = list(got.parameters.values())[1:]
    for k, p in enumerate(wanted):
        q = have[k] if k < len(have) else None
        if q is None or q.name != p.name:
            out.append(f"parameter {k + 1} is {q and q.name!r}, not {p.name!r}")
            continue
        if q.kind != p.kind:
            out.append(f"{p.name}: {q.kind.description}, not {p.kind.description}")
        if q.default != p.default:
            out.append(f"{p.name}: default {q.default!r}, not {p.default!r}")
        if _annotation(found, q.annotation) != _annotation(expected, p.annotation):
            out.append(f"{p.name}: annotated {q.annotation!r}, not {p.annotation!r}")
    for q in have[len(wanted) :]:  # more than the Protocol says: only if optional
        optional = q.default is not q.empty or q.kind in (q.VAR_POSITIONAL, q.VAR_KEYWORD)
        if not optional:
            out.append(f"parameter {q.name!r} is required, and no Protocol passes it")
    return out


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
def test_the_store_is_each_protocol(store, protocol):
    cls = type(store)
    assert isinstance(store, protocol)
    problems = []
    for name in sorted(members(protocol)):
        declared = inspect.getattr_static(protocol, name, None)
        if declared is None:  # a data member (``actor``, ``url``): on the store itself
            if not hasattr(store, name):
                problems.append(f"{name}: missing")
            continue
        if not callable(getattr(cls, name, None)):
            problems.append(f"{name}: no method of {cls.__name__}")
            continue
        problems += [
            f"{name}: {m}" for m in mismatches(getattr(protocol, name), getattr(cls, name))
        ]
    assert not problems, f"{cls.__name__} against {protocol.__name__}:\n" + "\n".join(problems)


def test_every_public_method_of_the_store_is_in_a_protocol(store):
    """A new method of the store goes into the Protocol of its aggregate (or, when only
    an adapter calls it, into ADAPTER above): the typed surface stays the whole surface."""
    public = {n for n in dir(type(store)) if not n.startswith("_")}
    unnamed = public - members(Store) - ADAPTER - CONSTRUCTORS
    assert not unnamed, f"not in any Protocol of gridmap/stores/protocols.py: {sorted(unnamed)}"
    assert not ADAPTER & members(Store)


def test_each_aggregate_keeps_to_itself():
    """The aggregates share only the basics: a method lives in one of them."""
    parts = [AreaStore, RoutingStore, HazardStore, PlanStore, PeopleStore, PublicStore]
    own = {p: members(p) - members(Transactions) for p in parts}
    own[CaseStore] = members(CaseStore) - members(RoutingStore) - members(HazardStore)
    for a in own:
        for b in own:
            assert a is b or not own[a] & own[b], (a.__name__, b.__name__, own[a] & own[b])
    assert set(protocols.__all__) == {p.__name__ for p in PROTOCOLS}


def test_a_mismatch_is_found():
    """The check itself: a renamed parameter, a lost default, another annotation."""

    class Mine(Protocol):
        def f(self, a: int, b: str = "") -> int: ...

    def renamed(self, a: int, c: str = "") -> int: ...

    def no_default(self, a: int, b: str) -> int: ...

    def other(self, a: str, b: str = "") -> int: ...

    def more(self, a: int, b: str = "", c: int = 0) -> int: ...

    def required(self, a: int, b: str = "", *, c: int) -> int: ...

    assert mismatches(Mine.f, renamed) == ["parameter 2 is 'c', not 'b'"]
    assert mismatches(Mine.f, no_default) == ["b: default <class 'inspect._empty'>, not ''"]
    assert mismatches(Mine.f, other) == ["a: annotated 'str', not 'int'"]
    assert mismatches(Mine.f, more) == []
    assert mismatches(Mine.f, required) == ["parameter 'c' is required, and no Protocol passes it"]
