"""A progress bar on stderr for long file work: rows done, rows/s and time left."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Callable, Iterator

from tqdm import tqdm


@contextlib.contextmanager
def bar(desc: str) -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done, expected)`` callback drawing one bar; ``expected`` may be an
    estimate that changes as the file is read (the bar's total follows it)."""
    lines: list[tqdm] = []

    def progress(done: int, expected: int) -> None:
        if not lines:  # made at the first chunk, once a total is known
            lines.append(
                tqdm(
                    total=max(expected, done),
                    unit=" rows",
                    unit_scale=True,
                    file=sys.stderr,
                    desc=desc,
                    mininterval=0.5,
                    # A terminal that reports no width (some ptys) still gets a bar.
                    ncols=shutil.get_terminal_size().columns or 100,
                    # A terminal gets the bar; a log file does not get its redraws.
                    disable=not sys.stderr.isatty(),
                )
            )
        line = lines[0]
        line.total = max(expected, done)
        line.update(done - line.n)

    try:
        yield progress
    finally:
        for line in lines:
            line.close()
