"""Batch lookup on a Dask cluster: the same lookup as ``etl.points``, one task per slice
of the input, the output a directory of Parquet parts (``part-00000.parquet``, ...).

Why slices of the file rather than a dask DataFrame: each task runs exactly the
in-process engine over its slice (Arrow's reader, the same checks and columns), so the
two engines cannot disagree; rows are numbered per slice and moved on by the lengths of
the slices before it once all are counted.  The lookup index is sent to each worker once
(``scatter(broadcast=True)``), not with every task.

Workers read the input and write the output themselves: with a cluster of several
machines, both paths must be on a file system every worker sees.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv

from etl.pointfiles import Part, PointReader, csv_header, partition, safe_table
from etl.points import BadRows, BatchResult, Options, kept_columns, rejected_path, stream
from gridmap.errors import InvalidInput, say
from gridmap.indexcache import cached_index
from gridmap.lookup import LookupIndex, LookupResult
from gridmap.spreadsheet import BOM_BYTES

PART_BYTES = 64 << 20


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2):
    """A client of the cluster at ``scheduler``, or of a local cluster of ``workers``
    processes that ends with the block."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError) as exc:
            raise InvalidInput(
                say(
                    "--scheduler {scheduler}: no Dask scheduler answers there ({exc}); "
                    "start one with 'dask scheduler', or leave --scheduler out for a local "
                    "cluster",
                    scheduler=scheduler,
                    exc=exc,
                ),
                field="scheduler",
            ) from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, dashboard_address=":0", processes=True
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def lookup_file_dask(
    store,
    generation,
    src: str | Path,
    dst: str | Path,
    options: Options = Options(),  # noqa: B008 (frozen)
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    part_bytes: int = PART_BYTES,
    client=None,
) -> BatchResult:
    """Look up every row of ``src`` on a Dask cluster (``client``, or one at
    ``scheduler``, or a local one) into the directory ``dst``."""
    index = cached_index(store, generation)
    if client is None:
        with dask_client(scheduler) as own:
            return lookup_file_dask(
                store, generation, src, dst, options, None, progress, part_bytes, own
            )
    src, dst = Path(src).resolve(), Path(dst).resolve()
    lon, lat, errors = options.lon, options.lat, options.errors
    reader = PointReader(src, lon, lat)
    kept = kept_columns(reader, options.columns)
    _check_target(dst)
    tmp = dst.with_name(f".{dst.name}.{secrets.token_hex(4)}.part")
    tmp.mkdir()
    try:
        parts = partition(src, part_bytes)
        shipped = client.scatter(index, broadcast=True)
        futures = [
            client.submit(
                _lookup_part,
                shipped,
                src,
                lon,
                lat,
                part,
                tmp / f"part-{k:05d}.parquet",
                errors,
                kept,
                pure=False,
            )  # fmt: skip
            for k, part in enumerate(parts)
        ]
        _follow(futures, reader.total_rows, progress)
        results = client.gather(futures)
        bad, rows, written = BadRows(), 0, 0
        for result in results:
            bad.merge(result.bad, rows)
            rows += result.rows
            written += result.written
        if errors == "fail" and bad.count:
            raise bad.refusal(src.name, rows)
        rejected = _merge_rejected(results, rejected_path(dst)) if errors == "skip" else None
        if dst.exists():
            shutil.rmtree(dst)
        os.replace(tmp, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return BatchResult(rows, written, bad, rejected)


def _lookup_part(
    index: LookupIndex, src: Path, lon: str, lat: str, part: Part, out: Path, errors, kept
) -> BatchResult:
    reader = PointReader(src, lon, lat, part=part)
    return stream(index, reader, out, errors, kept)


def _follow(futures, total: int, progress) -> None:
    from dask.distributed import as_completed

    done = 0
    for future in as_completed(futures):
        done += future.result().rows
        if progress:
            progress(done, max(total, done))


def _check_target(dst: Path) -> None:
    """Only a directory of an earlier run's parts is replaced."""
    if not dst.exists():
        return
    if dst.is_file() or any(not p.name.startswith("part-") for p in dst.iterdir()):
        raise InvalidInput(
            say(
                "{dst} exists and is not an earlier output of --engine dask; the "
                "output is a directory of Parquet parts: name a new one",
                dst=dst,
            ),
            field="out",
        )


def _merge_rejected(results: list[BatchResult], target: Path) -> Path | None:
    """The parts' rejected rows in one file, their row numbers those of the whole input."""
    import pyarrow as pa
    import pyarrow.compute as pc

    tables, offset = [], 0
    for result in results:
        if result.rejected_file is not None:
            text = {c: pa.string() for c in csv_header(result.rejected_file)}
            options = pacsv.ConvertOptions(column_types=text, strings_can_be_null=False)
            table = pacsv.read_csv(result.rejected_file, convert_options=options)
            rows = pc.add(pc.cast(table["row"], pa.int64()), offset)
            tables.append(table.set_column(0, "row", rows))
            result.rejected_file.unlink()
        offset += result.rows
    if not tables:
        return None
    with target.open("wb") as out:
        out.write(BOM_BYTES)  # as every CSV gridmap writes (gridmap.spreadsheet)
        pacsv.write_csv(
            safe_table(pa.concat_tables(tables, promote_options="permissive")),
            out,
            write_options=pacsv.WriteOptions(quoting_style="needed"),
        )
    return target


def lookup_points_dask(
    index: LookupIndex, lon, lat, scheduler: str | None = None, part_rows: int = 250_000
) -> LookupResult:
    """``index.lookup(lon, lat)`` computed on a Dask cluster (at ``scheduler``, else a
    local one), slices of ``part_rows`` points a task, the index sent once per worker.

    Tasks send back only the arrays of area positions (never the index), and the result
    is assembled here around the caller's own index, so it equals the in-process one.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if not len(lon):
        return index.lookup(lon, lat)
    with dask_client(scheduler) as client:
        shared = client.scatter(index, broadcast=True)
        futures = [
            client.submit(_positions, shared, lon[a : a + part_rows], lat[a : a + part_rows])
            for a in range(0, len(lon), part_rows)
        ]
        parts = client.gather(futures)
    idx = {name: np.concatenate([p[0][name] for p in parts]) for name in parts[0][0]}
    border = {name: np.concatenate([p[1][name] for p in parts]) for name in parts[0][1]}
    return LookupResult(index, lon, lat, idx, border)


def _positions(index: LookupIndex, lon: np.ndarray, lat: np.ndarray):
    found = index.lookup(lon, lat)
    return found.idx, found.border
