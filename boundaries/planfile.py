"""Plan files: a CSV of (unit, district) rows, or GeoJSON features with the same two
properties, so plans drawn elsewhere (QGIS, Districtr) come in and ours go out.

A unit is any code of the units layer (a whole neighborhood) or of the finer layer (one
grid of a split neighborhood); a grid's own row wins over its neighborhood's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from boundaries.plan import Plan
from boundaries.propose import mixed_plan
from boundaries.units import Units
from gridmap.errors import InvalidInput, say
from gridmap.spreadsheet import plain_cell, write_frame

UNIT_FIELDS = ("unit", "code", "unit_code", "GEOID", "id")
DISTRICT_FIELDS = ("district", "label", "community", "assignment")


def read(
    path: str | Path,
    units: Units,
    unit_field: str | None = None,
    district_field: str | None = None,
) -> Plan:
    """A plan over the mixed units the file names (whole units, grids where split)."""
    path = Path(path)
    rows = _rows(path)
    unit_col = _column(rows, unit_field, UNIT_FIELDS, path, "unit")
    district_col = _column(rows, district_field, DISTRICT_FIELDS, path, "district")
    csv = path.suffix.lower() == ".csv"
    where = [f"{path.name} {'row' if csv else 'feature'} {i + 1}" for i in range(len(rows))]
    return from_rows(
        units, list(zip(where, rows[unit_col], rows[district_col], strict=True)), path.name
    )


def from_assignment(units: Units, assignment: dict[str, str], source: str = "plan") -> Plan:
    """A plan from unit code -> district label (the API's and the store's form)."""
    if not isinstance(assignment, dict):
        raise InvalidInput(
            say("assignment: expected an object of unit code -> district"), field="assignment"
        )
    return from_rows(units, [(f"{source} unit {u!r}", u, d) for u, d in assignment.items()], source)


def from_rows(units: Units, rows: list[tuple[str, object, object]], source: str) -> Plan:
    """A plan from (where, unit, district) rows; every error names its row."""
    fine = units.fine if units.fine is not None else units.units
    whole = {str(c) for c in units.units.codes}
    part = {str(c) for c in fine.codes}
    assigned: dict[str, str] = {}
    kinds = units.layer + (f" or {units.fine_layer}" if units.fine_layer else "")
    for what, unit, label in rows:
        if unit is None or pd.isna(unit) or str(unit).strip() == "":
            raise InvalidInput(say("{what}: no unit code", what=what), field="unit")
        unit = str(unit).strip()
        if label is None or pd.isna(label) or str(label).strip() == "":
            raise InvalidInput(
                say("{what}: unit {unit} has no district", what=what, unit=unit), field="district"
            )
        if unit not in whole and unit not in part:
            raise InvalidInput(
                say(
                    "{what}: unit {unit} is not a {kinds} of generation {generation}",
                    what=what,
                    unit=unit,
                    kinds=kinds,
                    generation=units.generation,
                ),
                field="unit",
            )
        if unit in assigned and assigned[unit] != str(label).strip():
            raise InvalidInput(
                say("{what}: unit {unit} is assigned twice", what=what, unit=unit), field="unit"
            )
        assigned[unit] = str(label).strip()
    labels = []
    for code, group in zip(fine.codes, fine.group, strict=True):
        label = assigned.get(str(code), assigned.get(str(group)))
        if label is None:
            raise InvalidInput(
                say(
                    "{source}: {layer} {code} (of {group}) is in no district",
                    source=source,
                    layer=units.fine_layer or units.layer,
                    code=code,
                    group=group,
                ),
                field="district",
            )
        labels.append(label)
    names, idx = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    names = names.astype(object)
    if units.fine is None:
        return Plan(units.units, idx.astype(np.int64), len(names), names=names)
    plan, _ = mixed_plan(units.units, fine, idx.astype(np.int64), names)
    return plan


def writable(path: Path) -> Path:
    """``path`` if a plan can be written there, checked before any work is done."""
    if path.suffix.lower() not in (".csv", ".geojson", ".json"):
        raise InvalidInput(
            say("{path}: a plan file is .csv or .geojson", path=path.name), field="out"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInput(
            say("{path}: no folder {folder} to write it in", path=path, folder=folder), field="out"
        )
    if path.is_dir():
        raise InvalidInput(say("{path}: is a folder; expected a file name", path=path), field="out")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InvalidInput(say("{path}: not allowed to write there", path=path), field="out")
    return path


def write(path: str | Path, plan: Plan) -> Path:
    """CSV (unit, district) or, for .geojson, the units with their district."""
    path = Path(path)
    frame = pd.DataFrame(
        {
            "unit": [str(c) for c in plan.graph.codes],
            "district": [str(plan.names[d]) for d in plan.labels],
        }
    )
    if path.suffix.lower() in (".geojson", ".json"):
        out = gpd.GeoDataFrame(frame, geometry=list(plan.graph.geoms), crs="EPSG:4326")
        path.write_text(out.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")
    elif path.suffix.lower() == ".csv":
        write_frame(frame, path)
    else:
        raise InvalidInput(
            say("{path}: a plan file is .csv or .geojson", path=path.name), field="out"
        )
    return path


def _rows(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InvalidInput(say("{path}: no such file", path=path), field="file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            rows = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            return rows.map(plain_cell)  # a name written as '=x (see write) is =x again
        if suffix in (".geojson", ".json"):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("type") == "FeatureCollection":
                return pd.DataFrame(_properties(data.get("features"), path), dtype=str)
            if isinstance(data, dict):  # Districtr's assignment export: {unit: district}
                return pd.DataFrame(
                    {"unit": list(data), "district": list(data.values())}, dtype=str
                )
    except RecursionError:
        raise InvalidInput(
            say("{path}: JSON nested too deeply", path=path.name), field="file"
        ) from None
    except InvalidInput:
        raise
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InvalidInput(
            say("{path}: not a readable plan file ({exc})", path=path.name, exc=exc), field="file"
        ) from exc
    raise InvalidInput(
        say("{path}: a plan file is a CSV (unit, district) or GeoJSON", path=path.name),
        field="file",
    )


def _properties(features, path: Path) -> list[dict]:
    """Each feature's properties; refused, naming the feature, unless every feature is
    an object whose properties are an object (or null)."""
    if not isinstance(features, list):
        raise InvalidInput(
            say("{path}: a FeatureCollection without a list of features", path=path.name),
            field="file",
        )
    out = []
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(feature, dict) or not isinstance(props, dict | None):
            raise InvalidInput(
                say(
                    "{path}: feature {i} is not a GeoJSON feature with properties",
                    path=path.name,
                    i=i + 1,
                ),
                field="file",
                position=i,
            )
        out.append(props or {})
    return out


def _column(rows: pd.DataFrame, given: str | None, known: tuple, path: Path, what: str) -> str:
    if given:
        if given not in rows:
            raise InvalidInput(
                say(
                    "{path}: no column {given!r}; columns: {columns}",
                    path=path.name,
                    given=given,
                    columns=", ".join(rows.columns),
                ),
                field=what,
            )
        return given
    for name in known:
        if name in rows:
            return name
    raise InvalidInput(
        say(
            "{path}: no {what} column (expected one of {known}); columns: {columns}",
            path=path.name,
            what=what,
            known=", ".join(known),
            columns=", ".join(map(str, rows.columns)) or say("(none)"),
        ),
        field=what,
    )
