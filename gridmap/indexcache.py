"""The lookup index kept in a file, once per generation and version of the areas.

Why: building the cells of every searched layer takes half a second, paid by every
``gridmap lookup --in`` and every new server process; reading them back takes a tenth of
that.  A file's name carries the store's areas version (which moves whenever areas or
the active generation change), so changed areas are never answered from an old index.
Officers are not in the file: they change without the areas and cost milliseconds to
read, so they are attached on every load.

Processes that miss at once take a lock: one builds, the others wait and read its file.
The files are pickles, written by gridmap beside a GeoPackage (or in the user's cache
directory for a server database) and trusted as the store itself is.

A file is read without copying what it holds: the arrays (the cells, 15 MB for the
sample city) are kept apart from the pickle and mapped from the file, so a process pays only for the
pages it reads; each layer's frame of areas is unpickled when first asked for (a batch
lookup never asks, and unpickling it would import geopandas).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import logging
import mmap
import os
import pickle
import struct
import tempfile
import time
from functools import cached_property
from pathlib import Path

from gridmap.lookup import LayerIndex, LookupIndex

log = logging.getLogger(__name__)

FULL = 1 << 23  # the cell budget of a batch or a server: a layer's finest cells over its box

# The start of a file of this layout; a file without it (an older gridmap's) is built again.
_MAGIC = b"gridmap-index-3\n"
_ALIGN = 64  # arrays start at multiples of this in the file
_UNREADABLE = (
    pickle.UnpicklingError,
    EOFError,
    AttributeError,
    ImportError,
    ValueError,
    struct.error,
)


def cache_dir(store) -> Path:
    path = getattr(store, "path", None)
    if path is not None:
        return path.with_name(path.name + ".cache")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gridmap"
    return base / hashlib.sha256(store.url.encode()).hexdigest()[:16]


def _file(store, generation, max_cells: int):
    gen = store.generation(generation)
    stem = f"lookup-g{gen.id}-c{max_cells}"
    return gen, stem, cache_dir(store) / f"{stem}-v{store.areas_version()}.index.pickle"


def is_cached(store, generation: int | str | None = None, max_cells: int = FULL) -> bool:
    """Whether ``cached_index`` would read the index from a file of this gridmap's layout."""
    with contextlib.suppress(OSError), _file(store, generation, max_cells)[2].open("rb") as f:
        return f.read(len(_MAGIC)) == _MAGIC
    return False


def cached_index(
    store, generation: int | str | None = None, max_cells: int = FULL, build: bool = True
) -> LookupIndex | None:
    """The store's lookup index for ``generation``, read from its cache file, or built
    (by one process at a time) and written there; None when there is no file and
    ``build`` is false (a staged generation's index is built for signed-in users only)."""
    gen, stem, file = _file(store, generation, max_cells)
    folder = file.parent
    layers = _read(file)
    if layers is None and not build:
        return None
    if layers is None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = _locked(folder / f"{stem}.lock")
        except OSError:  # a read-only place: build, keep nothing
            lock = contextlib.nullcontext()
        with lock:
            layers = _read(file)
            if layers is None:
                started = time.perf_counter()
                index = LookupIndex.from_store(store, gen.id, max_cells)
                _write(file, index.layers)
                log.info(
                    "built the lookup index of generation %s in %.1f s (pid %d)",
                    gen.name,
                    time.perf_counter() - started,
                    os.getpid(),
                )
                for old in folder.glob(f"{stem}-v*.pickle"):
                    if old != file:
                        old.unlink(missing_ok=True)
                return index
    return LookupIndex(layers, store.officers(), gen.id, max_cells)


class _FileLayer(LayerIndex):
    """A layer index read from a file: its frame is unpickled on first use."""

    @cached_property
    def frame(self):
        return pickle.loads(self._frame)


class _Pickler(pickle.Pickler):
    """Layers with their frame as a pickle of its own, read back as ``_FileLayer``."""

    def reducer_override(self, obj):
        if not isinstance(obj, LayerIndex):
            return NotImplemented
        state = dict(obj.__dict__)
        if "frame" in state:
            state["_frame"] = pickle.dumps(state.pop("frame"), protocol=5)
        return _file_layer, (state,)


def _file_layer(state: dict) -> _FileLayer:
    layer = _FileLayer.__new__(_FileLayer)
    layer.__setstate__(state)
    return layer


def _read(file: Path):
    """The layers in ``file``, their arrays mapped from it (copy on write), or None."""
    try:
        with file.open("rb") as f:
            if f.read(len(_MAGIC)) != _MAGIC:
                return None
            data = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY))
        (toc_size,) = struct.unpack_from("<Q", data, len(_MAGIC))
        at = len(_MAGIC) + 8
        body_size, sizes = pickle.loads(data[at : at + toc_size])
        at += toc_size
        body, at = data[at : at + body_size], at + body_size
        buffers = []
        for size in sizes:
            at += -at % _ALIGN
            buffers.append(data[at : at + size])
            at += size
        if at != len(data):
            return None  # cut short
        return pickle.loads(body, buffers=buffers)
    except FileNotFoundError:
        return None
    except _UNREADABLE:
        return None  # from another version of gridmap, or cut short: built again


def _write(file: Path, layers) -> None:
    """``layers`` as a table of contents, a pickle and the arrays it keeps apart."""
    for layer in layers.values():
        # Made now, so that reading the file back never needs the frame for them.
        layer.arrow_codes, layer.arrow_names  # noqa: B018
    buffers: list[pickle.PickleBuffer] = []
    out = io.BytesIO()
    _Pickler(out, protocol=5, buffer_callback=buffers.append).dump(layers)
    body = out.getvalue()
    arrays = [b.raw() for b in buffers]
    toc = pickle.dumps((len(body), [a.nbytes for a in arrays]), protocol=5)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC + struct.pack("<Q", len(toc)) + toc)
            f.write(body)
            for a in arrays:
                f.write(b"\0" * (-f.tell() % _ALIGN))
                f.write(a)
        os.replace(tmp, file)
    except OSError:
        pass  # no room, or read-only: the next process builds again


@contextlib.contextmanager
def _locked(path: Path):
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
