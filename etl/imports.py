"""Imports into a store, all or nothing: boundary layers and events."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl import readers
from etl.sniff import Limits
from etl.validate import ImportRefused, Report, assign_parents, validate_layer
from gridmap.catalogue import CATEGORIES, HAZARD_TYPES, RISK_LEVELS, STATUSES
from gridmap.errors import InvalidInput, NotFound
from gridmap.generations import resolve
from gridmap.lookup import LookupIndex
from gridmap.model import AREA_COLUMNS, Layer
from gridmap.stores import Store
from gridmap.validation import parse_times

POPULATION_FIELDS = ("population", "pop", "人口")
HOUSEHOLD_FIELDS = ("households", "hh", "户数")


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
            f"{report.source}: no {target} field {given!r}; the fields are {fields}",
            field=f"{target}_field",
        )
    if col is None:
        areas[target] = 0
        if target == "households":
            return
        report.notes.append(
            f"no {target} column (looked for {', '.join(known)}): stored as 0; name the "
            f"column with {option} (the fields are {fields})"
        )
        return
    values = pd.to_numeric(areas[col], errors="coerce")
    bad = values.isna() & areas[col].notna() & (areas[col].astype(str).str.strip() != "")
    if bad.any() or (values.dropna() < 0).any():
        i = int(np.argmax((bad | (values < 0)).to_numpy()))
        raise InvalidInput(
            f"{report.source} row {i + 1}: {target} field {col!r} is {areas[col].iloc[i]!r}; "
            "expected a whole number >= 0",
            field=col,
            position=i,
        )
    areas[target] = values.fillna(0).round().astype(np.int64)
    if values.isna().all():
        report.notes.append(f"{target} column {col!r} is empty: stored as 0")
    elif not areas[target].any():
        report.notes.append(f"{target} column {col!r} is 0 in every row")


def import_layer(
    store: Store,
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
) -> tuple[int, Report]:
    """Read, validate and (when clean, or repaired) write one boundary layer.

    ``population_field``/``households_field`` name the columns counted (else a column
    named population, pop, 人口 / households, hh, 户数); ``datum`` and ``override_crs``
    as in :func:`etl.readers.read`.  With ``dry_run`` nothing is written: the report says
    what an import would do.
    """
    path = Path(path)
    frame = readers.read(path, source_layer, crs, limits, datum=datum, override_crs=override_crs)
    source_crs, notes = frame.attrs.get("source_crs"), frame.attrs.get("notes", [])
    gen = _generation(store, generation)
    parents = None
    if parent_layer:
        store.layer(parent_layer)
        parents = store.areas(parent_layer, gen.id) if gen else None
        if parents is None or not len(parents):
            raise InvalidInput(
                f"parent layer {parent_layer!r} has no areas in generation "
                f"{generation or 'active'}",
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
        if layer not in {x.name for x in store.layers()}:
            store.add_layer(Layer(layer, layer, layer, parent=parent_layer))
        if gen is None:
            gen = store.add_generation(generation or "1", activate=not store.generations())
        store.write_areas(layer, areas, gen.id)
        store.set_layer_crs(layer, source_crs)
        store.record(
            "import_layer",
            layer,
            after={"file": path.name, "areas": len(areas), "generation": gen.name},
        )
    return len(areas), report


def _generation(store: Store, name: str | None):
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


@dataclass
class EventImport:
    imported: int
    rejected: int
    rejected_file: Path | None


def _event_frame(path: Path, kind: str, limits: Limits | None = None) -> gpd.GeoDataFrame:
    frame = readers.read(path, limits=limits)
    frame.insert(0, "_row", np.arange(1, len(frame) + 1))
    return frame


_PARSED = ["_time_text", "_time_utc"]  # reported_at as stored, and in UTC


def _row_problems(frame: gpd.GeoDataFrame, kind: str) -> dict[int, str]:
    """Row number → the reason it cannot be imported."""
    bad: dict[int, str] = {}

    def flag(mask, reason):
        for r, why in zip(frame["_row"][mask], reason(frame[mask]), strict=True):
            bad.setdefault(int(r), why)

    geom_type = frame.geom_type.fillna("None")
    if kind == "incidents":
        for col in ("category", "reported_at"):
            if col not in frame:
                raise InvalidInput(f"no {col!r} column", field=col)
        flag(
            ~geom_type.eq("Point").to_numpy(),
            lambda f: [f"geometry is {t}; expected a Point" for t in f.geom_type.fillna("none")],
        )
        flag(
            ~frame["category"].isin(list(CATEGORIES)).to_numpy(),
            lambda f: [f"category {c!r} is not in the catalogue" for c in f["category"]],
        )
        if "status" in frame:
            flag(
                ~frame["status"].isin(list(STATUSES)).to_numpy(),
                lambda f: [f"status {s!r} is not a workflow status" for s in f["status"]],
            )
        text, utc, bad_time = parse_times(frame["reported_at"])
        flag(
            bad_time,
            lambda f: [
                f"reported_at {t!r} is not an ISO 8601 time with a time zone"
                for t in f["reported_at"]
            ],
        )
        # Parsed once: the store is handed these and told the rows were checked.
        frame["_time_text"], frame["_time_utc"] = text, utc
    else:
        for col in ("name", "type", "risk_level"):
            if col not in frame:
                raise InvalidInput(f"no {col!r} column", field=col)
        flag(
            ~geom_type.isin(["Point", "Polygon", "MultiPolygon"]).to_numpy(),
            lambda f: [
                f"geometry is {t}; expected a point or polygon" for t in f.geom_type.fillna("none")
            ],
        )
        flag(
            ~frame["type"].isin(list(HAZARD_TYPES)).to_numpy(),
            lambda f: [f"type {t!r} is not a hazard type" for t in f["type"]],
        )
        levels = pd.to_numeric(frame["risk_level"], errors="coerce")
        flag(
            ~levels.isin(list(RISK_LEVELS)).to_numpy(),
            lambda f: [f"risk_level {v!r}; expected 1-4" for v in f["risk_level"]],
        )
    return bad


def check_events(
    path: str | Path, kind: str, limits: Limits | None = None
) -> tuple[int, dict[int, str]]:
    """Rows in the file, and the bad ones with their reasons; nothing is written."""
    frame = _event_frame(Path(path), kind, limits)
    return len(frame), _row_problems(frame, kind)


def import_events(
    store: Store,
    path: str | Path,
    kind: str,
    skip_bad: bool = False,
    progress: Callable[[int, int, float], None] | None = None,
    limits: Limits | None = None,
) -> EventImport:
    """Import incidents or hazards: each row's areas looked up; all or nothing, or with
    ``skip_bad`` the rejected rows written beside the input."""
    path = Path(path)
    started = time.perf_counter()
    frame = _event_frame(path, kind, limits)
    bad = _row_problems(frame, kind)
    rejected_file = None
    if bad and not skip_bad:
        lines = [f"row {r}: {why}" for r, why in sorted(bad.items())]
        shown = "\n  ".join(lines[:20]) + ("\n  ..." if len(lines) > 20 else "")
        raise InvalidInput(
            f"{path.name}: {len(bad)} bad rows, nothing imported "
            f"(--skip-bad imports the others):\n  {shown}",
            field="file",
        )
    if bad:
        rejected = frame[frame["_row"].isin(list(bad))].copy()
        rejected["reason"] = [bad[int(r)] for r in rejected["_row"]]
        rejected_file = path.with_name(path.stem + ".rejected.csv")
        out = pd.DataFrame(rejected.drop(columns=["geometry", *_PARSED], errors="ignore"))
        out["wkt"] = shapely.to_wkt(rejected.geometry.values, rounding_precision=-1)
        out.rename(columns={"_row": "row"}).to_csv(rejected_file, index=False)
        frame = frame[~frame["_row"].isin(list(bad))]
    frame = frame.drop(columns="_row").reset_index(drop=True)
    if kind == "incidents":
        frame["reported_at"], frame["reported_utc"] = (frame.pop(c) for c in _PARSED)
    if kind == "hazards":
        frame["risk_level"] = pd.to_numeric(frame["risk_level"]).astype(int)
    index = LookupIndex.from_store(store, max_cells=LookupIndex.cells_for(len(frame)))
    chunk = 200_000
    bulk = store.bulk_events(kind) if len(frame) > 50_000 else contextlib.nullcontext()
    with store.transaction(), bulk:
        for start in range(0, len(frame), chunk):
            part = resolve(index, frame.iloc[start : start + chunk])
            (store.add_incidents if kind == "incidents" else store.add_hazards)(part, checked=True)
            if progress:
                progress(start + len(part), len(frame), time.perf_counter() - started)
        store.record(f"import_{kind}", path.name, after={"rows": len(frame), "rejected": len(bad)})
    return EventImport(len(frame), len(bad), rejected_file)
