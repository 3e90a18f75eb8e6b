"""Imports into a store, all or nothing: boundary layers (events: ``etl.events``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etl import readers
from etl.events import EventImport, check_events, import_events  # noqa: F401 (re-exported)
from etl.sniff import Limits
from etl.validate import ImportRefused, Report, assign_parents, validate_layer
from gridmap.errors import InvalidInput, Named, NotFound, say
from gridmap.model import AREA_COLUMNS, Layer
from gridmap.services import layers
from gridmap.stores import AreaStore

POPULATION_FIELDS = ("population", "pop", "人口")
HOUSEHOLD_FIELDS = ("households", "hh", "户数")

# The figures an area layer may carry, named in messages (in both languages).
TARGETS = {"population": Named("人口", "population"), "households": Named("户数", "households")}


def _first(frame, names):
    lower = {c.lower(): c for c in frame.columns}
    return next((lower[n] for n in names if n in lower), None)


def _counts(
    areas, target: str, given: str | None, known: tuple, report: Report, fields: str
) -> None:
    """``areas[target]`` from the column the user named (or a known name), as whole
    numbers; a population column that is missing, empty or all zero is noted, naming it
    (households are often not counted: only a named column is noted)."""
    col = given or _first(areas, known)
    option = f"--{target}-field"
    if given and given not in areas:
        raise InvalidInput(
            say(
                "{source}: no {target} field {given!r}; the fields are {fields}",
                source=report.source,
                target=TARGETS.get(target, target),
                given=given,
                fields=fields,
            ),
            field=f"{target}_field",
        )
    if col is None:
        areas[target] = 0
        if target == "households":
            return
        report.notes.append(
            say(
                "no {target} column (looked for {known}): stored as 0; name the column with "
                "{option} (the fields are {fields})",
                target=TARGETS.get(target, target),
                known=", ".join(known),
                option=option,
                fields=fields,
            )
        )
        return
    values = pd.to_numeric(areas[col], errors="coerce")
    bad = values.isna() & areas[col].notna() & (areas[col].astype(str).str.strip() != "")
    if bad.any() or (values.dropna() < 0).any():
        i = int(np.argmax((bad | (values < 0)).to_numpy()))
        raise InvalidInput(
            say(
                "{source} row {i}: {target} field {col!r} is {value!r}; expected a whole "
                "number >= 0",
                source=report.source,
                i=i + 1,
                target=TARGETS.get(target, target),
                col=col,
                value=areas[col].iloc[i],
            ),
            field=col,
            position=i,
        )
    areas[target] = values.fillna(0).round().astype(np.int64)
    if values.isna().all():
        report.notes.append(
            say(
                "{target} column {col!r} is empty: stored as 0",
                target=TARGETS.get(target, target),
                col=col,
            )
        )
    elif not areas[target].any():
        report.notes.append(
            say(
                "{target} column {col!r} is 0 in every row",
                target=TARGETS.get(target, target),
                col=col,
            )
        )


def import_layer(
    store: AreaStore,
    path: str | Path,
    layer: str,
    generation: str | None = None,
    code_field: str = "code",
    name_field: str | None = None,
    parent_layer: str | None = None,
    crs: str | None = None,
    repair: bool = False,
    source_layer: str | None = None,
    tolerance_m2: float = 1.0,
    dry_run: bool = False,
    limits: Limits | None = None,
    *,
    population_field: str | None = None,
    households_field: str | None = None,
    datum: str | None = None,
    override_crs: bool = False,
    kind: str | None = None,
    title_zh: str | None = None,
    title_en: str | None = None,
) -> tuple[int, Report]:
    """Read, validate and (when clean, or repaired) write one boundary layer.

    A new layer is of ``kind`` (``gridmap.services.layers.kind_for``: without one, in
    the boundary hierarchy when it has a parent, a reference layer when not), titled
    ``title_zh``/``title_en`` (default: its name).  An existing layer keeps its kind and
    titles (the admin page changes them); asking for another kind is refused.

    ``population_field``/``households_field`` name the columns counted (else a column
    named population, pop, 人口 / households, hh, 户数); ``datum`` and ``override_crs``
    as in :func:`etl.readers.read`.  With ``dry_run`` nothing is written: the report says
    what an import would do.
    """
    path = Path(path)
    frame = readers.read(path, source_layer, crs, limits, datum=datum, override_crs=override_crs)
    source_crs, notes = frame.attrs.get("source_crs"), frame.attrs.get("notes", [])
    gen = _generation(store, generation)
    new = _new_layer(store, layer, kind, parent_layer, title_zh, title_en)
    parents = None
    if parent_layer:
        store.layer(parent_layer)
        parents = store.areas(parent_layer, gen.id) if gen else None
        if parents is None or not len(parents):
            raise InvalidInput(
                say(
                    "parent layer {parent_layer!r} has no areas in generation {generation}",
                    parent_layer=parent_layer,
                    generation=generation or say("active"),
                ),
                field="parent_layer",
            )
    areas, report = validate_layer(
        frame, path.name, code_field, name_field, parents, tolerance_m2, repair
    )
    report.notes[:0] = notes
    if not report.ok:
        raise ImportRefused(report)
    areas["parent_code"] = assign_parents(areas, parents) if parents is not None else None
    fields = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
    _counts(areas, "population", population_field, POPULATION_FIELDS, report, fields)
    _counts(areas, "households", households_field, HOUSEHOLD_FIELDS, report, fields)
    areas = areas[[*AREA_COLUMNS, "geometry"]]
    if dry_run:
        return len(areas), report
    with store.transaction():
        if new is not None:
            store.add_layer(new)
        if gen is None:
            gen = store.add_generation(generation or "1", activate=not store.generations())
        store.write_areas(layer, areas, gen.id)
        store.set_layer_crs(layer, source_crs)
        store.record(
            "import_layer",
            layer,
            after={"file": path.name, "areas": len(areas), "generation": gen.name}
            | ({"kind": new.kind, "parent": new.parent} if new else {}),
        )
    return len(areas), report


def _new_layer(
    store: AreaStore,
    name: str,
    kind: str | None,
    parent: str | None,
    title_zh: str | None,
    title_en: str | None,
) -> Layer | None:
    """The layer to create (checked before the file is read further), or None when it
    exists: then a kind other than its own is refused, not silently ignored."""
    known = {x.name: x for x in store.layers(retired=True)}
    if name in known:
        have = known[name]
        if have.retired:
            raise InvalidInput(
                say("layer {name!r} is retired: import under a new name", name=name), field="layer"
            )
        if kind and kind != have.kind:
            raise InvalidInput(
                say(
                    "layer {name!r} is a {kind} layer, not {kind2}: change its kind on the "
                    "admin page (or with 'gridmap layer set') first",
                    name=name,
                    kind=have.kind,
                    kind2=kind,
                ),
                field="kind",
            )
        return None
    kind = layers.kind_for(kind, parent)
    new = Layer(
        name,
        layers.title(title_zh, name, "title_zh"),
        layers.title(title_en, name, "title_en"),
        parent=parent or None,
        kind=kind,
    )
    layers.check(new, [*(x for x in known.values() if not x.retired), new])
    return new


def _generation(store: AreaStore, name: str | None):
    """The named generation (None when it is to be created), or the active one."""
    if name is None:
        try:
            return store.generation()
        except NotFound:
            return None
    try:
        return store.generation(name)
    except NotFound:
        return None
