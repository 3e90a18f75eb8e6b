"""What every command shares: the store it opens and the quiet start-up of a long one."""

from __future__ import annotations

import contextlib
import gc
import getpass
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from gridmap.stores import Store


def command_store(ctx: click.Context) -> Store:
    """The configured store, closed when the command ends; changes are audited as made by
    the operating system's user."""
    # Imported here, as every heavy module is: the stores bring SQLAlchemy (0.2 s), which
    # ``gridmap --help`` and a command that fails on its arguments never need.
    from gridmap.stores import open_store

    root = ctx.find_root().obj
    return ctx.with_resource(open_store(root["db"], actor=f"cli:{getpass.getuser()}"))


def settings(ctx: click.Context):
    """The settings the ``gridmap`` group read from the environment, once."""
    return ctx.find_root().obj["settings"]


def large_batches(ctx: click.Context):
    """The engine activations re-home large numbers of events with (Dask, by settings)."""
    from etl.rehoming import large_batches as build

    return build(settings(ctx))


@contextlib.contextmanager
def start_up() -> Iterator[None]:
    """The cyclic garbage collector paused while a command imports its libraries and
    loads its store and index, then kept away from what that made.

    Why: start-up makes about a million objects that live until the process ends, and the
    collector would walk them again and again meanwhile (0.2 s of a batch lookup) to free
    nothing.  Afterwards they are frozen (never walked again) and collection resumes for
    the work itself, so a long batch keeps flat memory.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        # Given back when the command ends: a process running commands one after another
        # (a test session, a notebook) must not keep their leftovers for good.
        click.get_current_context().call_on_close(gc.unfreeze)
        if was_enabled:
            gc.enable()
