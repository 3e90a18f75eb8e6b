"""Imports of incidents and hazards, row by row checked, with a choice of what bad rows do.

``errors="fail"`` (the default) imports nothing when any row is bad and lists them all
(the first 20 and a count); ``"skip"`` imports the good rows and writes the bad ones,
with the column and reason of each, to ``<input>.rejected.csv``; ``"report"`` imports
nothing and writes every row, in input order, with ``column`` and ``error`` columns
(empty for good rows) to ``<input>.report.csv``: a dry run whose file can be fixed in a
spreadsheet and imported again.  Rows are numbered as the file's data rows, from 1.

Coordinates are checked by the batch lookup's own code (``etl.coordinates``): NaN,
empty, infinite, out of range, text, a decimal comma and swapped columns get the same
reasons here as in ``gridmap lookup --in``.  What is imported is imported in one
transaction, and a written file is renamed into place only after it commits.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from etl import coordinates, readers
from etl.pointfiles import PointWriter
from etl.points import ERROR_MODES, SHOWN, BadRows
from etl.sniff import Limits
from gridmap.catalogue import CATEGORIES, HAZARD_TYPES, RISK_LEVELS, STATUSES
from gridmap.errors import InvalidInput, say
from gridmap.lookup import LookupIndex
from gridmap.services.cases import route_imported
from gridmap.services.generations import resolve
from gridmap.validation import parse_dates, parse_times

if TYPE_CHECKING:
    from gridmap.stores.protocols import CasesAndAreas

_PARSED = ["_time_text", "_time_utc"]  # reported_at as stored, and in UTC
_DAY = "_next_day"  # next_inspection as stored
Problems = dict[int, tuple[str, str]]  # data row (from 1) → (column, reason)


@dataclass
class EventImport:
    imported: int
    rejected: int  # bad rows (left out, or only reported)
    rejected_file: Path | None  # the bad rows (skip), or every row (report)
    bad: BadRows = field(default_factory=BadRows)
    checked_only: bool = False  # report mode: nothing was imported


@dataclass
class EventCheck:
    """What an import of a file would do, nothing written: its rows, the bad ones as
    (row, column, value, reason), and how many rows an import skipping them writes."""

    rows: int
    rejected: list[tuple[int, str, str, str]]
    importable: int


def rejected_path(path: Path) -> Path:
    return path.with_name(path.stem + ".rejected.csv")


def report_path(path: Path) -> Path:
    return path.with_name(path.stem + ".report.csv")


def _event_frame(path: Path, limits: Limits | None = None) -> gpd.GeoDataFrame:
    frame = readers.read(path, limits=limits, bad_points=True)
    frame.insert(0, "_row", np.arange(1, len(frame) + 1))
    return frame


def _row_problems(frame: gpd.GeoDataFrame, kind: str) -> Problems:
    """Every bad row's first problem: its coordinates (as the reader found them), then
    its geometry, then its fields in the order checked."""
    bad: Problems = dict(frame.attrs.get("bad_points", {}))

    def flag(mask, column, reason):
        for r, why in zip(frame["_row"][mask], reason(frame[mask]), strict=True):
            bad.setdefault(int(r), (column, why))

    required = {"incidents": ("category", "reported_at"), "hazards": ("name", "type", "risk_level")}
    for col in required[kind]:
        if col not in frame:
            raise InvalidInput(
                say(
                    "no {col!r} column; the columns are {columns}",
                    col=col,
                    columns=", ".join(_columns(frame)),
                ),
                field=col,
            )
    geom_type = frame.geom_type.fillna("None")
    points = geom_type.eq("Point").to_numpy()
    _point_ranges(frame, points, bad)
    allowed = ["Point"] if kind == "incidents" else ["Point", "Polygon", "MultiPolygon"]
    expected = say("a Point") if kind == "incidents" else say("a point or polygon")
    flag(
        ~geom_type.isin(allowed).to_numpy(),
        "geometry",
        lambda f: [
            say("geometry is {type}; expected {expected}", type=t, expected=expected)
            for t in f.geom_type.fillna("none")
        ],
    )
    if kind == "incidents":
        flag(
            ~frame["category"].isin(list(CATEGORIES)).to_numpy(),
            "category",
            lambda f: [
                say("category {category!r} is not in the catalogue", category=c)
                for c in f["category"]
            ],
        )
        if "status" in frame:
            flag(
                ~frame["status"].isin(list(STATUSES)).to_numpy(),
                "status",
                lambda f: [
                    say("status {status!r} is not a workflow status", status=s) for s in f["status"]
                ],
            )
        text, utc, bad_time = parse_times(frame["reported_at"])
        flag(
            bad_time,
            "reported_at",
            lambda f: [
                say("reported_at {time!r} is not an ISO 8601 time with a time zone", time=t)
                for t in f["reported_at"]
            ],
        )
        # Parsed once: the store is handed these and told the rows were checked.
        frame["_time_text"], frame["_time_utc"] = text, utc
    else:
        flag(
            ~frame["type"].isin(list(HAZARD_TYPES)).to_numpy(),
            "type",
            lambda f: [say("type {type!r} is not a hazard type", type=t) for t in f["type"]],
        )
        levels = pd.to_numeric(frame["risk_level"], errors="coerce")
        flag(
            ~levels.isin(list(RISK_LEVELS)).to_numpy(),
            "risk_level",
            lambda f: [say("risk_level {level!r}; expected 1-4", level=v) for v in f["risk_level"]],
        )
        if "next_inspection" in frame:
            days, bad_day = parse_dates(frame["next_inspection"])
            flag(
                bad_day,
                "next_inspection",
                lambda f: [
                    say("next_inspection {day!r} is not a date; expected YYYY-MM-DD", day=v)
                    for v in f["next_inspection"]
                ],
            )
            frame[_DAY] = days  # parsed once; the file's own text stays for the reports
    return dict(sorted(bad.items()))


def _point_ranges(frame: gpd.GeoDataFrame, points: np.ndarray, bad: Problems) -> None:
    """Points of a file that has no lon/lat columns (GeoJSON, GeoPackage, WKT), checked
    as finite and in range as lon/lat columns are."""
    rows = np.flatnonzero(points)
    geoms = frame.geometry.values[rows]
    checked = coordinates.from_xy(shapely.get_x(geoms), shapely.get_y(geoms))
    if checked.reasons is None:
        return
    for i in np.flatnonzero(checked.bad):
        bad.setdefault(int(frame["_row"].iloc[rows[i]]), ("geometry", checked.reasons[i]))


def _columns(frame: gpd.GeoDataFrame) -> list[str]:
    hidden = ("_row", frame.geometry.name, *_PARSED, _DAY)
    return [str(c) for c in frame.columns if c not in hidden]


def _bad_rows(problems: Problems) -> BadRows:
    first = [(row, why) for row, (_, why) in list(problems.items())[:SHOWN]]
    return BadRows(len(problems), first)


def check_events(path: str | Path, kind: str, limits: Limits | None = None) -> EventCheck:
    """The file's rows checked as an import checks them; nothing is written."""
    frame = _event_frame(Path(path), limits)
    problems = _row_problems(frame, kind)
    return EventCheck(len(frame), _rejected(frame, problems), len(_good_rows(frame, problems)))


def _good_rows(frame: gpd.GeoDataFrame, problems: Problems) -> gpd.GeoDataFrame:
    """The rows an import writes (the bad ones left out): what a check counts is what
    the import then imports."""
    return frame[~frame["_row"].isin(list(problems))]


def _rejected(frame: gpd.GeoDataFrame, problems: Problems) -> list[tuple[int, str, str, str]]:
    """Each bad row's (row, column, value as the file gave it, reason); a geometry's
    value is its WKT."""
    by_row = frame.set_index("_row")
    out = []
    for row, (column, why) in problems.items():
        value = by_row.at[row, column] if column in by_row.columns else None
        if isinstance(value, shapely.Geometry):
            value = value.wkt
        out.append((row, column, "" if value is None or pd.isna(value) else str(value), why))
    return out


def _rows_table(frame: gpd.GeoDataFrame, problems: Problems, every_row: bool) -> pa.Table:
    """The file's rows as written (every row, or only the bad ones), each with ``row``,
    its problem's ``column`` and ``error``; geometries as WKT unless the file gave
    lon/lat columns (kept as text)."""
    rows = frame["_row"].to_numpy()
    if not every_row:
        frame = frame[frame["_row"].isin(list(problems))]
        rows = frame["_row"].to_numpy()
    names = _columns(frame)
    arrays = [pa.array(rows, pa.int64())]
    arrays += [pa.array(frame[c].astype("string"), pa.string()) for c in names]
    if "coordinate_columns" not in frame.attrs:
        names.append("wkt")
        arrays.append(pa.array(shapely.to_wkt(frame.geometry.values, rounding_precision=-1)))
    found = [problems.get(int(r)) for r in rows]
    arrays.append(pa.array([p and p[0] for p in found], pa.string()))
    arrays.append(pa.array([p and p[1] for p in found], pa.string()))
    return pa.Table.from_arrays(arrays, names=["row", *names, "column", "error"])


def import_events(
    store: CasesAndAreas,
    path: str | Path,
    kind: str,
    errors: str = "fail",
    progress: Callable[[int, int, float], None] | None = None,
    limits: Limits | None = None,
) -> EventImport:
    """Import incidents or hazards from ``path``, each looked up into its areas; what bad
    rows do is ``errors`` (see the module's docstring)."""
    if errors not in ERROR_MODES:
        raise InvalidInput(
            say(
                "errors={errors!r}: expected one of {error_modes}",
                errors=errors,
                error_modes=", ".join(ERROR_MODES),
            ),
            field="errors",
        )
    path = Path(path)
    started = time.perf_counter()
    frame = _event_frame(path, limits)
    problems = _row_problems(frame, kind)
    bad = _bad_rows(problems)
    if problems and errors == "fail":
        raise InvalidInput(
            say(
                "{path}: {count:,} bad rows of {frame_count:,}, nothing imported "
                "(--errors skip imports the others; --errors report lists every row):\n "
                " {text}",
                path=path.name,
                count=bad.count,
                frame_count=len(frame),
                text=bad.text(),
            ),
            field="file",
        )
    if errors == "report":
        with PointWriter(report_path(path)) as writer:
            writer.write(_rows_table(frame, problems, every_row=True))
            writer.commit()
        return EventImport(0, bad.count, writer.path, bad, checked_only=True)
    with contextlib.ExitStack() as files:
        writer = None
        if problems:
            writer = files.enter_context(PointWriter(rejected_path(path)))
            writer.write(_rows_table(frame, problems, every_row=False))
            frame = _good_rows(frame, problems)
        imported = _store_events(store, frame, kind, path.name, bad.count, started, progress)
        if writer is not None:
            writer.commit()  # only once the import has committed
    return EventImport(imported, bad.count, writer and writer.path, bad)


def _store_events(store: CasesAndAreas, frame, kind, name, rejected, started, progress) -> int:
    """The good rows resolved into the active generation's areas and stored, in one
    transaction (in bulk past 50,000 rows)."""
    frame = frame.drop(columns=["_row", *frame.attrs.get("coordinate_columns", ())])
    frame = frame.reset_index(drop=True)
    if not len(frame):  # every row was bad and left out
        return 0
    if kind == "incidents":
        frame["reported_at"], frame["reported_utc"] = (frame.pop(c) for c in _PARSED)
    if kind == "hazards":
        frame["risk_level"] = pd.to_numeric(frame["risk_level"]).astype(int)
        if _DAY in frame:
            frame["next_inspection"] = frame.pop(_DAY)
    index = LookupIndex.from_store(store, max_cells=LookupIndex.cells_for(len(frame)))
    chunk = 200_000
    bulk = store.bulk_events(kind) if len(frame) > 50_000 else contextlib.nullcontext()
    with store.transaction(), bulk:
        for start in range(0, len(frame), chunk):
            part = resolve(index, frame.iloc[start : start + chunk])
            if kind == "incidents":
                route_imported(store, store.add_incidents(part, checked=True), part)
            else:
                store.add_hazards(part, checked=True)
            if progress:
                progress(start + len(part), len(frame), time.perf_counter() - started)
        store.record(f"import_{kind}", name, after={"rows": len(frame), "rejected": rejected})
    return len(frame)
