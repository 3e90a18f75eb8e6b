"""A progress bar on stderr for long file work: rows done, rows/s and time left."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from tqdm import tqdm


@contextlib.contextmanager
def bar(desc: str) -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done, expected)`` callback drawing one bar; ``expected`` may be an
    estimate that changes as the file is read (the bar's total follows it)."""
    with tqdm(
        total=0,
        unit=" rows",
        unit_scale=True,
        file=sys.stderr,
        desc=desc,
        # Shown on a terminal; in logs, only for work long enough to want one.
        mininterval=0.5,
        disable=None if sys.stderr.isatty() else True,
    ) as line:

        def progress(done: int, expected: int) -> None:
            line.total = max(expected, done)
            line.update(done - line.n)

        yield progress
