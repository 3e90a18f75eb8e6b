"""Files of points read and written in chunks: CSV, Parquet and GeoParquet, by extension.

Why Arrow: its CSV reader parses on every core and its writers take a chunk as columns,
so a file of any size streams through at flat memory and the text is never built row by
row in Python.  CSV columns are read as text and written back as read: an identifier
such as 007 or a phone number keeps its leading zeros.  Output goes to a temporary file
beside the target and is renamed into place only when the run succeeds.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import shapely

from etl import coordinates
from etl.coordinates import Coordinates
from gridmap.errors import InvalidInput, say
from gridmap.spreadsheet import BOM_BYTES, FORMULA, NUMBER, safe_cell

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".geoparquet": "geoparquet"}
CHUNK_BYTES = 4 << 20  # CSV: about 150,000 rows of a few columns
CHUNK_ROWS = 250_000  # Parquet


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput(
            say(
                "{path}: unknown format {suffix}; expected one of {formats}",
                path=path.name,
                suffix=repr(path.suffix) if path.suffix else say("(no extension)"),
                formats=", ".join(FORMATS),
            ),
            field="file",
        )
    return fmt


@dataclass(frozen=True)
class Part:
    """A slice of a file for one task: a byte range of a CSV's data lines (cut at line
    ends), or some of a Parquet file's row groups."""

    start: int = 0
    end: int = 0
    row_groups: tuple[int, ...] = ()


def partition(path: Path, size: int) -> list[Part]:
    """Slices of about ``size`` bytes covering every data row of ``path`` once."""
    if file_format(path) != "csv":
        meta = pq.ParquetFile(path).metadata
        parts, group, bytes_ = [], [], 0
        for i in range(meta.num_row_groups):
            group.append(i)
            bytes_ += meta.row_group(i).total_byte_size
            if bytes_ >= size:
                parts.append(Part(row_groups=tuple(group)))
                group, bytes_ = [], 0
        return parts + ([Part(row_groups=tuple(group))] if group or not parts else [])
    total = path.stat().st_size
    with path.open("rb") as f:
        f.readline()
        cuts = [f.tell()]
        while cuts[-1] < total:
            f.seek(min(cuts[-1] + size, total))
            f.readline()
            cuts.append(min(f.tell(), total))
    return [Part(a, b) for a, b in zip(cuts, cuts[1:], strict=False)] or [Part(cuts[0], total)]


@dataclass
class Chunk:
    table: pa.Table  # the input columns, as read
    coords: Coordinates
    first_row: int  # the file's data row (1-based) of the chunk's first row


class PointReader:
    """Chunks of a point file, with coordinates from two columns or a GeoParquet point
    geometry (reprojected to lon/lat when the file says another CRS)."""

    def __init__(
        self,
        path: Path,
        lon: str = "lon",
        lat: str = "lat",
        chunk_bytes: int = CHUNK_BYTES,
        chunk_rows: int = CHUNK_ROWS,
        part: Part | None = None,
    ):
        self.path, self.lon, self.lat, self.part = path, lon, lat, part
        self.format = file_format(path)
        self.chunk_bytes, self.chunk_rows = chunk_bytes, chunk_rows
        self.geometry: str | None = None  # the WKB column coordinates come from
        self.geo: dict | None = None  # the file's GeoParquet metadata
        self._to_lonlat = None
        if self.format == "csv":
            self.columns = csv_header(path)
            self.total_rows = _estimate_rows(path)
        else:
            self._parquet = pq.ParquetFile(path)
            schema = self._parquet.schema_arrow
            self.columns = schema.names
            self.total_rows = self._parquet.metadata.num_rows
            meta = schema.metadata or {}
            self.geo = json.loads(meta[b"geo"]) if b"geo" in meta else None
        if lon in self.columns and lat in self.columns:
            return
        if self.geo is not None:
            self.geometry = self.geo["primary_column"]
            self._to_lonlat = _transformer(self.geo["columns"][self.geometry].get("crs", None))
            return
        missing = lon if lon not in self.columns else lat
        raise InvalidInput(
            say(
                "{path}: no column {missing!r}; the columns are {columns}",
                path=path.name,
                missing=missing,
                columns=", ".join(map(str, self.columns)) or say("(none)"),
            ),
            field=missing,
        )

    @property
    def schema(self) -> pa.Schema:
        if self.format == "csv":
            return pa.schema([(c, pa.string()) for c in self.columns])
        return self._parquet.schema_arrow

    def __iter__(self) -> Iterator[Chunk]:
        """Chunks in order, the next one read and parsed on a thread while this one is
        used: Arrow reads and parses numbers without the GIL, so that time is taken off
        the lookup's (an error in the file is raised here, at the chunk it is in)."""
        chunks = self._chunks()
        with ThreadPoolExecutor(1) as pool:
            ahead = pool.submit(next, chunks, None)
            while (chunk := ahead.result()) is not None:
                ahead = pool.submit(next, chunks, None)
                yield chunk

    def _chunks(self) -> Iterator[Chunk]:
        row = 1
        for batch in self._batches():
            table = pa.Table.from_batches([batch])
            if self.geometry is None:
                coords = coordinates.from_columns(
                    table[self.lon].combine_chunks(),
                    table[self.lat].combine_chunks(),
                    (self.lon, self.lat),
                )
            else:
                coords = coordinates.from_points(
                    table[self.geometry].combine_chunks(), self.geometry, self._to_lonlat
                )
            yield Chunk(table, coords, row)
            row += len(table)

    def _batches(self) -> Iterator[pa.RecordBatch]:
        if self.format != "csv":
            groups = list(self.part.row_groups) if self.part else None
            yield from self._parquet.iter_batches(batch_size=self.chunk_rows, row_groups=groups)
            return
        source = self.path
        if self.part is not None:  # the header line, then this part's lines
            with self.path.open("rb") as f:
                header = f.readline()
                f.seek(self.part.start)
                source = pa.BufferReader(header + f.read(self.part.end - self.part.start))
        try:
            reader = pacsv.open_csv(
                source,
                read_options=pacsv.ReadOptions(block_size=self.chunk_bytes),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in self.columns},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            yield from reader
        except pa.ArrowInvalid as exc:
            raise InvalidInput(
                say("{name}: not a readable CSV file: {exc}", name=self.path.name, exc=exc)
            ) from None


def csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        try:
            return next(csv.reader(f))
        except StopIteration:
            return []
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                say("{path}: not UTF-8 text ({exc})", path=path.name, exc=exc), field="file"
            ) from None


def _estimate_rows(path: Path) -> int:
    """Rows of a CSV file, from the length of its first lines (for a progress bar)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        sample = f.read(1 << 20)
    lines = sample.count(b"\n")
    if not lines or len(sample) == size:
        return max(lines - 1, 0)
    return int(size / (len(sample) / lines)) - 1


def _transformer(crs_json):
    """None for lon/lat data (GeoParquet's default CRS is OGC:CRS84), else a transformer."""
    if crs_json is None:
        return None
    from pyproj import CRS, Transformer

    crs = CRS.from_user_input(crs_json)
    if crs.equals(CRS("OGC:CRS84")) or crs.equals(CRS("EPSG:4326"), ignore_axis_order=True):
        return None
    return Transformer.from_crs(crs, "OGC:CRS84", always_xy=True)


def point_geometry(x: np.ndarray, y: np.ndarray, missing: np.ndarray) -> pa.Array:
    """WKB points (null where ``missing``), for a GeoParquet geometry column."""
    wkb = shapely.to_wkb(shapely.points(np.where(missing, 0, x), np.where(missing, 0, y)))
    return pa.array(wkb, type=pa.binary(), mask=missing)


def geo_metadata(column: str = "geometry") -> dict:
    """GeoParquet 1.1 metadata for one column of lon/lat points (CRS omitted: CRS84)."""
    return {
        "version": "1.1.0",
        "primary_column": column,
        "columns": {column: {"encoding": "WKB", "geometry_types": ["Point"]}},
    }


class PointWriter:
    """Chunks of a table written to ``path`` (its format by extension), in place only on
    ``commit``; ``geo`` is the GeoParquet metadata of its geometry column, if any.

    Why threads: encoding text is the slowest step of a CSV batch (longer than the
    lookup), and Arrow does it without the GIL, so chunks are encoded on two threads
    while the next ones are looked up, then written in order; a few chunks wait at most.
    """

    def __init__(self, path: Path, geo: dict | None = None):
        self.path = path
        self.format = file_format(path)
        self.geo = geo
        # Created as open() would (the umask applies), unlike mkstemp's private files.
        self.tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        self._file = os.fdopen(os.open(self.tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666), "wb")
        if self.format == "csv":
            self._file.write(BOM_BYTES)  # Excel and WPS then read the text as UTF-8
        self._parquet = None
        self.rows = self.chunks = 0
        self._pool = ThreadPoolExecutor(2 if self.format == "csv" else 1)
        self._pending: deque[Future] = deque()

    def write(self, table: pa.Table) -> None:
        while len(self._pending) >= 3:
            self._flush_one()
        encode = self._csv if self.format == "csv" else self._write_parquet
        self._pending.append(self._pool.submit(encode, table, self.chunks == 0))
        self.rows += len(table)
        self.chunks += 1

    def _flush_one(self) -> None:
        data = self._pending.popleft().result()
        if data is not None:
            self._file.write(data)

    def _csv(self, table: pa.Table, header: bool) -> pa.Buffer:
        out = pa.BufferOutputStream()
        options = pacsv.WriteOptions(quoting_style="needed", include_header=header)
        pacsv.write_csv(safe_table(_as_text(_dense(table))), out, write_options=options)
        # The buffer itself, written as it is: turning it into bytes would copy every
        # chunk once more (a fifth of the encoding's time).
        return out.getvalue()

    def _write_parquet(self, table: pa.Table, _first: bool) -> None:
        table = _dense(table).replace_schema_metadata(None)
        if self._parquet is None:
            schema = table.schema
            if self.geo is not None:
                schema = schema.with_metadata({b"geo": json.dumps(self.geo).encode()})
            self._parquet = pq.ParquetWriter(self._file, schema)
        self._parquet.write_table(table.replace_schema_metadata(self._parquet.schema.metadata))

    def commit(self) -> None:
        while self._pending:
            self._flush_one()
        self._close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        for job in self._pending:
            job.cancel()
        self._pool.shutdown(wait=True)
        self._pending.clear()
        self._close()
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)

    def _close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> PointWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def _dense(table: pa.Table) -> pa.Table:
    """Dictionary columns as plain ones: readers then see text, not categories."""
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            dense = pc.cast(table.column(i), field.type.value_type)
            table = table.set_column(i, field.name, dense)
    return table


def _as_text(table: pa.Table) -> pa.Table:
    """Geometry columns as WKT: CSV has no binary type."""
    for i, field in enumerate(table.schema):
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            values = table.column(i).combine_chunks()
            wkt = shapely.to_wkt(
                shapely.from_wkb(values.to_numpy(zero_copy_only=False)), rounding_precision=-1
            )
            table = table.set_column(i, field.name, pa.array(wkt, type=pa.string()))
    return table


def safe_table(table: pa.Table) -> pa.Table:
    """Text columns whose cells a spreadsheet would run as formulas, made safe by
    :func:`gridmap.spreadsheet.safe_cell` (numbers, and text that is a plain number such
    as a CSV's ``-77.05``, stay as they are).  Arrow finds the few cells to change with
    the rule's own two patterns; only those go through Python."""
    for i, field in enumerate(table.schema):
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            continue
        column = table.column(i)
        suspect = pc.and_(
            pc.match_substring_regex(column, FORMULA.pattern),
            pc.invert(pc.match_substring_regex(column, NUMBER.pattern)),
        )
        if not pc.any(suspect).as_py():
            continue
        values = column.to_pylist()
        flags = suspect.to_pylist()
        fixed = [safe_cell(v) if f else v for v, f in zip(values, flags, strict=True)]
        table = table.set_column(i, field.name, pa.array(fixed, type=field.type))
    return table


def take_rows(table: pa.Table, mask: np.ndarray) -> pa.Table:
    return table.filter(pa.array(mask)) if not mask.all() else table


def null_where(values: pa.Array, mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.nulls(len(values), values.type), values)
