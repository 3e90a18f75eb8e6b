"""The lookup index kept in a file, once per generation and version of the areas.

Why: building the cells of every searched layer takes a second or two, paid by every
``gridmap lookup --in`` and every new server process; reading them back takes a tenth of
that.  A file's name carries the store's areas version (which moves whenever areas or
the active generation change), so changed areas are never answered from an old index.
Officers are not in the file: they change without the areas and cost milliseconds to
read, so they are attached on every load.

Processes that miss at once take a lock: one builds, the others wait and read its file.
The files are pickles, written by gridmap beside a GeoPackage (or in the user's cache
directory for a server database) and trusted as the store itself is.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import pickle
import tempfile
import time
from pathlib import Path

from gridmap.lookup import LookupIndex

log = logging.getLogger(__name__)

FULL = 1 << 23  # the cell budget of a batch or a server: the most cells a layer gets


def cache_dir(store) -> Path:
    path = getattr(store, "path", None)
    if path is not None:
        return path.with_name(path.name + ".cache")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gridmap"
    return base / hashlib.sha256(store.url.encode()).hexdigest()[:16]


def cached_index(store, generation: int | str | None = None, max_cells: int = FULL) -> LookupIndex:
    """The store's lookup index for ``generation``, read from its cache file, or built
    (by one process at a time) and written there."""
    gen = store.generation(generation)
    folder = cache_dir(store)
    stem = f"lookup-g{gen.id}-c{max_cells}"
    file = folder / f"{stem}-v{store.areas_version()}.pickle"
    layers = _read(file)
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
    return LookupIndex(layers, store.officers(), gen.id)


def _read(file: Path):
    try:
        with file.open("rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        return None
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None  # from another version of gridmap, or cut short: built again


def _write(file: Path, layers) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
        with os.fdopen(fd, "wb") as f:
            pickle.dump(layers, f, protocol=pickle.HIGHEST_PROTOCOL)
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
