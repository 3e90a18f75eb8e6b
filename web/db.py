"""The store for each request, and lookup indexes shared across requests.

The store is opened per request and closed at teardown (SQLite connections are cheap to
open and must not be shared between threads mid-transaction); what a lookup needs of it
(the areas version and the generations) is read without opening it, by a ``Watch`` kept
per thread.  A lookup index costs a
second to build, so one per generation is kept for the whole app and rebuilt only when
the store's areas change; it is read from the store's index cache file when another
process built it already (``gridmap.indexcache``).  Requests that miss at once wait for
one build: eight first requests used to build eight indexes side by side.
"""

from __future__ import annotations

import threading

import numpy as np
import shapely
from flask import Flask, current_app, g

from gridmap import access, model
from gridmap.engines import LargeBatches
from gridmap.errors import Busy, say
from gridmap.indexcache import cached_index
from gridmap.lookup import LookupIndex
from gridmap.model import Generation
from gridmap.settings import Settings
from gridmap.stores import Store, open_store
from gridmap.stores.sql import Watch
from web.caller import caller, require


def settings() -> Settings:
    """The settings ``create_app`` read once from the environment."""
    return current_app.extensions["gridmap_settings"]


def large_batches() -> LargeBatches:
    """The engine activations started from the web re-home many events with."""
    return current_app.extensions["gridmap_large"]


def calendar():
    """What deadlines count by (``services.cases.calendar``): read once per request,
    not once for each case of a list."""
    from gridmap.services.cases import calendar as build

    if "deadlines" not in g:
        g.deadlines = build(get_store(), settings())
    return g.deadlines


def get_store() -> Store:
    if "store" not in g:
        g.store = open_store(current_app.config["DATABASE_URL"])
    return g.store


def _close(_exc=None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


class Cache:
    """Indexes and simplified layers, keyed by the store's areas version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple, object] = {}
        self._building: dict[tuple, threading.Lock] = {}

    def peek(self, key: tuple):
        """What is kept under ``key``, or None: nothing is built."""
        with self._lock:
            return self._items.get(key)

    def get(self, key: tuple, build):
        with self._lock:
            if key in self._items:
                return self._items[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one build per key; the others wait for it
            with self._lock:
                if key in self._items:
                    return self._items[key]
            value = build()
            with self._lock:
                # Drop entries of older versions of the areas.
                version = key[1]
                self._items = {k: v for k, v in self._items.items() if k[1] == version}
                self._items[key] = value
                self._building.pop(key, None)
        return value


def workspace():
    """The planner's use cases on stored plans, with this process's units and paintings."""
    return current_app.extensions["gridmap_workspace"]


def init_app(app: Flask) -> None:
    from boundaries.workspace import Workspace

    app.teardown_appcontext(_close)
    app.extensions["gridmap_cache"] = Cache()
    app.extensions["gridmap_workspace"] = Workspace(cache=app.extensions["gridmap_cache"].get)
    app.extensions["gridmap_watch"] = threading.local()


def before_fork(app: Flask) -> None:
    """Let go of the connections the watches of ``app`` hold: a worker forked from this
    process must open its own, not share a socket with its parent and siblings."""
    app.extensions["gridmap_watch"] = threading.local()


def _cache() -> Cache:
    return current_app.extensions["gridmap_cache"]


def state() -> tuple[int, list[Generation]]:
    """The store's areas version and generations as committed now, without opening the
    store (the lookup API's every request asks: see ``Watch``)."""
    local = current_app.extensions["gridmap_watch"]
    watch = getattr(local, "watch", None)
    if watch is None:
        watch = local.watch = Watch(current_app.config["DATABASE_URL"])
    return watch.state()


def view(gen: Generation, gens: list[Generation]) -> access.GenerationView:
    """What ``access`` decides a generation's readers on (with ``GRIDMAP_STAGED_PUBLIC``)."""
    return access.generation_view(gen, gens, current_app.config.get("STAGED_PUBLIC", False))


def readable(generation: int | str | None = None, day=None) -> Generation:
    """The generation asked for (``store.generation_at``: by id or name, in force on
    ``day``, else the active one), if this caller may read it (a staged one: planners and
    admins, unless ``GRIDMAP_STAGED_PUBLIC``)."""
    _, gens = state()
    gen = model.generation_at(gens, generation, day)
    require(access.GENERATION_READ, view(gen, gens))
    return gen


def lookup_at(generation: int | str | None = None, day=None) -> tuple[Generation, LookupIndex]:
    """The generation asked for (:func:`readable`) and its lookup index: a staged one's
    is built only for a signed-in user; anyone else is answered once one was built."""
    gen = readable(generation, day)  # before any index is built
    version, gens = state()
    if access.builds_index(caller(), view(gen, gens)):
        return gen, _index(version, gen)
    cells = current_app.config["INDEX_CELLS"]
    key = ("index", version, gen.id)
    index = _cache().peek(key)
    if index is None:
        index = cached_index(get_store(), gen.id, cells, build=False)
    if index is None:
        raise Busy(
            say(
                "generation {gen} is staged and its lookup index is not built yet: it "
                "is built when a signed-in user first looks a point up in it",
                gen=gen.name,
            )
        )
    return gen, _cache().get(key, lambda: index)


def lookup_index(generation=None) -> LookupIndex:
    """The index of ``generation`` (an id, a name, a ``Generation``; default: active)."""
    version, gens = state()
    gen = (
        generation
        if isinstance(generation, Generation)
        else model.find_generation(gens, generation)
    )
    return _index(version, gen)


def _index(version: int, gen: Generation) -> LookupIndex:
    cells = current_app.config["INDEX_CELLS"]
    return _cache().get(
        ("index", version, gen.id), lambda: cached_index(get_store(), gen.id, cells)
    )


def simplified_layer(layer: str, generation, zoom: int):
    """The layer's areas simplified for ``zoom`` (half a pixel), neighbours kept flush."""
    version, gens = state()
    gen = model.find_generation(gens, generation)
    require(access.GENERATION_READ, view(gen, gens))
    zoom = int(min(max(zoom, 0), 16))

    def build():
        frame = get_store().areas(layer, gen.id)
        if zoom < 16 and len(frame):
            tolerance = 360.0 / (256 * 2**zoom) * 0.5
            geoms = np.asarray(frame.geometry.values)
            # Coverage simplification moves shared edges together: no slivers between areas.
            frame = frame.set_geometry(shapely.coverage_simplify(geoms, tolerance))
        return frame

    return _cache().get(("layer", version, gen.id, layer, zoom), build)
