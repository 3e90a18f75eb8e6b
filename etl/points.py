"""Batch lookup of a file of points, streamed in chunks, with a choice of what bad rows do.

``errors="fail"`` (the default) writes nothing when any row is bad and lists them all
(the first 20 and a count); ``"report"`` writes every row, in input order, with an
``error`` column naming its problem; ``"skip"`` leaves bad rows out and writes them,
with their reasons, to ``<out>.rejected.csv``.  Rows are numbered as the file's data
rows, from 1.  The output is renamed into place only when the run succeeds, so a bad
file or an interrupted run never leaves a half-written result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from etl.pointfiles import (
    CHUNK_BYTES,
    CHUNK_ROWS,
    Chunk,
    PointReader,
    PointWriter,
    geo_metadata,
    null_where,
    point_geometry,
    take_rows,
)
from gridmap.errors import InvalidInput, say
from gridmap.lookup import LookupIndex

ERROR_MODES = ("fail", "report", "skip")
SHOWN = 20  # bad rows listed by name in an error


@dataclass
class BadRows:
    """Every bad row counted; the first ``SHOWN`` kept, as (row, reason)."""

    count: int = 0
    first: list[tuple[int, str]] = field(default_factory=list)

    def add(self, chunk: Chunk) -> np.ndarray:
        bad = chunk.coords.bad
        rows = np.flatnonzero(bad)
        for i in rows[: max(SHOWN - len(self.first), 0)]:
            self.first.append((int(chunk.first_row + i), chunk.coords.reasons[i]))
        self.count += len(rows)
        return bad

    def merge(self, other: BadRows, offset: int) -> None:
        """Add a later part's bad rows, its row numbers moved on by ``offset``."""
        room = max(SHOWN - len(self.first), 0)
        self.first += [(row + offset, why) for row, why in other.first[:room]]
        self.count += other.count

    def text(self) -> str:
        more = f"\n  ... and {self.count - len(self.first):,} more" if self.count > SHOWN else ""
        return "\n  ".join(f"row {row}: {why}" for row, why in self.first) + more

    def refusal(self, name: str, rows: int) -> InvalidInput:
        return InvalidInput(
            say(
                "{name}: {count:,} bad rows of {rows:,}; nothing written (--errors "
                "report or skip writes the others):\n  {text}",
                name=name,
                count=self.count,
                rows=rows,
                text=self.text(),
            ),
            field="file",
        )


@dataclass
class BatchResult:
    rows: int  # rows read
    written: int  # rows written to the output
    bad: BadRows
    rejected_file: Path | None = None


def rejected_path(dst: Path) -> Path:
    return dst.with_name(dst.stem + ".rejected.csv")


@dataclass(frozen=True)
class Options:
    """How a file's points are found and what its bad rows do."""

    lon: str = "lon"
    lat: str = "lat"
    errors: str = "fail"
    columns: tuple[str, ...] | None = None  # the input columns kept [default: all]

    def __post_init__(self) -> None:
        if self.errors not in ERROR_MODES:
            raise InvalidInput(
                say(
                    "errors={errors!r}: expected one of {error_modes}",
                    errors=self.errors,
                    error_modes=", ".join(ERROR_MODES),
                ),
                field="errors",
            )


def lookup_file(
    index: LookupIndex,
    src: str | Path,
    dst: str | Path,
    options: Options = Options(),  # noqa: B008 (frozen)
    progress: Callable[[int, int], None] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    chunk_rows: int = CHUNK_ROWS,
) -> BatchResult:
    """Look up every row of ``src``; write its columns (or ``options.columns``) plus the
    areas of every layer, the officer, ``on_border`` and ``covered`` to ``dst``.

    ``progress(rows_done, rows_expected)`` is called after each chunk.
    """
    src, dst = Path(src), Path(dst)
    if dst.is_dir():
        raise InvalidInput(
            say("{dst} is a directory; the in-process engine writes one file", dst=dst), field="out"
        )
    reader = PointReader(src, options.lon, options.lat, chunk_bytes, chunk_rows)
    kept = kept_columns(reader, options.columns)
    result = stream(index, reader, dst, options.errors, kept, progress)
    if options.errors == "fail" and result.bad.count:
        raise result.bad.refusal(src.name, result.rows)
    return result


def stream(
    index: LookupIndex,
    reader: PointReader,
    dst: Path,
    errors: str,
    kept: list[str],
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Every chunk of ``reader`` looked up into ``dst``; in fail mode, nothing is written
    once a bad row is seen (the rest is only checked, to count them all)."""
    batch = Batch(index, reader, kept, errors, dst)
    bad = BadRows()
    rows = 0
    with batch.writer, batch.rejects:
        for chunk in reader:
            batch.write(chunk, bad.add(chunk), failed=errors == "fail" and bad.count > 0)
            rows += len(chunk.table)
            if progress:
                progress(rows, max(reader.total_rows, rows))
        if errors == "fail" and bad.count:
            return BatchResult(rows, 0, bad)
        if batch.writer.chunks == 0:
            batch.write(_empty(reader), np.zeros(0, dtype=bool), failed=False)
        batch.writer.commit()
        if batch.rejects.rows:
            batch.rejects.commit()
    return BatchResult(
        rows, batch.writer.rows, bad, batch.rejects.path if batch.rejects.rows else None
    )


def kept_columns(reader: PointReader, columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        return list(reader.columns)
    unknown = [c for c in columns if c not in reader.columns]
    if unknown:
        raise InvalidInput(
            say(
                "--columns names {unknown}, not in {name}; its columns are {columns}",
                unknown=", ".join(map(repr, unknown)),
                name=reader.path.name,
                columns=", ".join(map(str, reader.columns)),
            ),
            field="columns",
        )
    return list(columns)


def _empty(reader: PointReader) -> Chunk:
    from etl.coordinates import Coordinates

    return Chunk(reader.schema.empty_table(), Coordinates(np.zeros(0), np.zeros(0), None), 1)


class Batch:
    """What one chunk becomes: input columns kept, the lookup's columns, and the bad rows
    routed by the error mode."""

    def __init__(self, index: LookupIndex, reader: PointReader, kept, errors: str, dst: Path):
        self.index, self.reader, self.errors = index, reader, errors
        self.kept = kept
        geo = None
        if reader.geometry in kept and reader.geo is not None:
            geo = {**reader.geo, "primary_column": reader.geometry}
            geo["columns"] = {reader.geometry: reader.geo["columns"][reader.geometry]}
        self.add_geometry = geo is None and dst.suffix.lower() == ".geoparquet"
        if self.add_geometry:
            geo = geo_metadata("geometry")
        self.writer = PointWriter(dst, geo)
        self.rejects = PointWriter(rejected_path(dst), reader.geo)

    def write(self, chunk: Chunk, bad: np.ndarray, failed: bool) -> None:
        """Look up and write one chunk; after a bad row in fail mode, only check the rest."""
        if failed or (self.errors == "fail" and bad.any()):
            return
        if self.errors == "skip" and bad.any():
            self._reject(chunk, bad)
        columns = self._lookup(chunk, bad)
        kept = chunk.table.select(self.kept)
        kept = kept.drop_columns([c for c in columns if c in kept.column_names])
        table = pa.Table.from_arrays(
            [*kept.columns, *columns.values()], names=[*kept.column_names, *columns]
        )
        if self.add_geometry:
            table = table.append_column(
                "geometry", point_geometry(chunk.coords.x, chunk.coords.y, bad)
            )
        if self.errors == "skip":
            table = take_rows(table, ~bad)
        self.writer.write(table)

    def _lookup(self, chunk: Chunk, bad: np.ndarray) -> dict[str, pa.Array]:
        x, y = chunk.coords.x, chunk.coords.y
        if not bad.any():
            columns = self.index.lookup(x, y).to_arrow()
        else:
            rows = np.flatnonzero(~bad)
            columns = self.index.lookup(x[rows], y[rows]).scatter(len(x), rows).to_arrow()
            for name in ("on_border", "covered"):  # no answer, rather than a false one
                columns[name] = null_where(columns[name], bad)
        if self.errors == "report":
            reasons = chunk.coords.reasons
            columns["error"] = (
                pa.nulls(len(x), pa.string())
                if reasons is None
                else pa.array(reasons, type=pa.string())
            )
        return columns

    def _reject(self, chunk: Chunk, bad: np.ndarray) -> None:
        rows = np.flatnonzero(bad)
        table = chunk.table.take(pa.array(rows))
        table = table.add_column(0, "row", pa.array(chunk.first_row + rows))
        table = table.append_column("column", pa.array(chunk.coords.columns[rows], pa.string()))
        self.rejects.write(
            table.append_column("error", pa.array(chunk.coords.reasons[rows], type=pa.string()))
        )
