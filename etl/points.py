"""Batch lookup of a CSV file of points, in chunks, all or nothing.

The output is written to a temporary file beside the target and renamed into place
only when every row has been read and looked up, so a bad row or an interrupted run
never leaves a half-written result.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from gridmap.errors import InvalidInput
from gridmap.lookup import LookupIndex

CHUNK_ROWS = 200_000


def _coordinates(chunk: pd.DataFrame, column: str, first_row: int) -> np.ndarray:
    values = pd.to_numeric(chunk[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInput(
            f"row {first_row + i}: column {column!r} has {chunk[column].iloc[i]!r};"
            " expected a number",
            field=column,
            position=first_row + i,
        )
    return values


def _lookup_chunk(
    index: LookupIndex, chunk: pd.DataFrame, lon: str, lat: str, before: int, tmp: str
) -> None:
    x = _coordinates(chunk, lon, before + 1)
    y = _coordinates(chunk, lat, before + 1)
    try:
        result = index.lookup(x, y)
    except InvalidInput as exc:
        row = before + 1 + (exc.position or 0)
        raise InvalidInput(
            f"row {row}: {str(exc).split(': ', 1)[-1]}", field=exc.field, position=row
        ) from None
    found = result.to_frame().drop(columns=["lon", "lat"])
    out = pd.concat([chunk.reset_index(drop=True), found], axis=1)
    out.to_csv(tmp, mode="a", header=before == 0, index=False)


def lookup_csv(
    index: LookupIndex,
    src: str | Path,
    dst: str | Path,
    lon: str = "lon",
    lat: str = "lat",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Look up every row of ``src``; write its columns plus the areas to ``dst``.

    Rows are numbered from 1, the first data row after the header.  Returns the number
    of rows written.
    """
    src, dst = Path(src), Path(dst)
    header = pd.read_csv(src, nrows=0, encoding="utf-8-sig").columns.tolist()
    for column in (lon, lat):
        if column not in header:
            raise InvalidInput(
                f"{src.name}: no column {column!r}; the columns are "
                f"{', '.join(map(str, header)) or '(none)'}",
                field=column,
            )
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent or ".")
    os.close(fd)
    written = 0
    try:
        with pd.read_csv(
            src, chunksize=CHUNK_ROWS, dtype=str, keep_default_na=False, encoding="utf-8-sig"
        ) as reader:
            for chunk in reader:
                _lookup_chunk(index, chunk, lon, lat, written, tmp)
                written += len(chunk)
                if progress:
                    progress(len(chunk))
        if written == 0:
            pd.DataFrame(columns=header).to_csv(tmp, index=False)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return written
