"""Layers as the admin keeps them: which kind a layer is (the boundary hierarchy, a
department's zones, or a reference layer that is shown but owns nothing), its titles,
its parent, and retiring it.  What the import, the admin page and ``gridmap layer`` call;
every change is audited.

Why the kind matters: the finest layer of the hierarchy is the grid layer (its areas have
the officers, cases keep its code, routing reads it).  A layer added to the hierarchy by
mistake (a school district uploaded as boundaries) made the grid layer ambiguous and the
whole city's assignment stopped; a reference layer cannot do that.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from gridmap.errors import Conflict, InvalidInput, say
from gridmap.model import LAYER_KINDS, Layer

if TYPE_CHECKING:
    from gridmap.stores.protocols import CasesAndAreas as LayerStore

MAX_TITLE = 100
KEEP = object()  # "leave the parent as it is" (None means: no parent)


def kind_for(kind: str | None, parent: str | None) -> str:
    """The kind of a new layer: as asked; else in the hierarchy when it names a parent,
    and a reference layer when it does not (an upload changes nobody's work unless the
    admin says it should)."""
    if kind is None or kind == "":
        return "admin" if parent else "reference"
    if kind not in LAYER_KINDS:
        raise InvalidInput(
            say(
                "layer kind {kind!r}: expected one of {layer_kinds}",
                kind=kind,
                layer_kinds=", ".join(LAYER_KINDS),
            ),
            field="kind",
        )
    return kind


def title(value: str | None, fallback: str, field: str) -> str:
    """A layer title: trimmed, at most ``MAX_TITLE`` characters; ``fallback`` when empty."""
    value = (value or "").strip()
    if len(value) > MAX_TITLE:
        raise InvalidInput(
            say("{field}: at most {max_title} characters", field=field, max_title=MAX_TITLE),
            field=field,
        )
    return value or fallback


def check(layer: Layer, layers: list[Layer]) -> None:
    """Refuse a layer that would break the hierarchy among the live ``layers``."""
    if layer.parent is None:
        return
    if layer.kind != "admin":
        raise InvalidInput(
            say(
                "layer {layer!r}: only a layer of the boundary hierarchy has a parent "
                "(a {kind} layer has none)",
                layer=layer.name,
                kind=layer.kind,
            ),
            field="parent",
        )
    by_name = {x.name: x for x in layers}
    above = by_name.get(layer.parent)
    if above is None or above.kind != "admin":
        known = ", ".join(x.name for x in layers if x.kind == "admin") or "none"
        raise InvalidInput(
            say(
                "parent layer {parent!r} is not a layer of the boundary hierarchy "
                "(those are: {known})",
                parent=layer.parent,
                known=known,
            ),
            field="parent",
        )
    seen = {layer.name}
    while above is not None:
        if above.name in seen:
            raise InvalidInput(
                say(
                    "layer {layer!r} cannot nest in {parent!r}: {parent!r} nests in {layer!r}",
                    layer=layer.name,
                    parent=layer.parent,
                ),
                field="parent",
            )
        seen.add(above.name)
        above = by_name.get(above.parent) if above.parent else None


def change(
    store: LayerStore,
    name: str,
    kind: str | None = None,
    title_zh: str | None = None,
    title_en: str | None = None,
    parent=KEEP,
) -> Layer:
    """Change a layer's kind, titles or parent (what is not given stays), audited."""
    with store.transaction():
        before = store.layer(name)
        kind = kind_for(kind, None) if kind else before.kind
        # Leaving the hierarchy leaves its parent; a parent asked for is checked below.
        parent = (before.parent if kind == "admin" else None) if parent is KEEP else parent or None
        after = replace(
            before,
            kind=kind,
            title_zh=title(title_zh, before.title_zh, "title_zh"),
            title_en=title(title_en, before.title_en, "title_en"),
            parent=parent,
        )
        layers = [x for x in store.layers() if x.name != name]
        check(after, [*layers, after])
        children = [x.name for x in layers if x.parent == name]
        if kind != "admin" and children:
            raise Conflict(
                say(
                    "layer {name!r} is the parent of {children}: it stays in the boundary "
                    "hierarchy while they nest in it",
                    name=name,
                    children=", ".join(children),
                )
            )
        if after == before:
            return after
        store.set_layer(after)
        store.record("layer.change", name, before=_audited(before), after=_audited(after))
    return after


def retire(store: LayerStore, name: str) -> Layer:
    """Retire a layer: its areas stay (cases name them) but it is no longer looked up or
    shown.  Refused while other layers nest in it, a department's zones are its areas or
    officers are on duty in it."""
    with store.transaction():
        before = store.layer(name)
        children = [x.name for x in store.layers() if x.parent == name]
        if children:
            raise Conflict(
                say(
                    "layer {name!r} cannot be retired: {children} nest in it",
                    name=name,
                    children=", ".join(children),
                )
            )
        users = sorted(c for c, d in store.departments().items() if d.layer == name)
        if users:
            raise Conflict(
                say(
                    "layer {name!r} cannot be retired: the zones of {users} are its areas",
                    name=name,
                    users=", ".join(users),
                )
            )
        if store.officers(name):
            raise Conflict(
                say(
                    "layer {name!r} cannot be retired: officers are on duty in its areas", name=name
                )
            )
        after = replace(before, retired=True)
        store.set_layer(after)
        store.record("layer.retire", name, before=_audited(before), after=_audited(after))
    return after


def _audited(layer: Layer) -> dict:
    return {
        "kind": layer.kind,
        "title_zh": layer.title_zh,
        "title_en": layer.title_en,
        "parent": layer.parent,
        "retired": layer.retired,
    }
