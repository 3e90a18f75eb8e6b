"""Waiting on a condition without sleeping a fixed time: bounded polling, by steps."""

from __future__ import annotations

import threading

STEP = 0.05  # seconds between looks
STEPS = 600  # looks at most (half a minute: a loaded 2-core machine runs 8 test sessions)


def until(condition, what: str, steps: int = STEPS):
    """Poll ``condition`` until it answers something true (returned); after ``steps``
    looks, fail naming ``what`` was awaited."""
    pause = threading.Event()  # never set: wait() is the pause between looks
    for _ in range(steps):
        found = condition()
        if found:
            return found
        pause.wait(STEP)
    raise AssertionError(f"waited {steps} steps for: {what}")
