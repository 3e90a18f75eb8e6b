"""Uploads waiting for their import: each in a folder of its own under one directory,
kept only while it waits for its confirmation.  ``sweep_uploads`` removes those that
waited too long; the web app calls it when it handles an upload, and a scheduler may
call it on its own (so that an upload nobody confirms goes even when no other comes)."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path

UPLOAD_TTL = timedelta(hours=1)  # how long a checked upload waits for its confirmation


def sweep_uploads(directory: str | Path, older_than: timedelta = UPLOAD_TTL) -> int:
    """Remove the uploads in ``directory`` last changed more than ``older_than`` ago (a
    folder per upload, or a stray file); how many went.  A missing directory holds none."""
    root = Path(directory)
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    gone = 0
    for entry in root.iterdir():
        try:
            if entry.lstat().st_mtime >= cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except FileNotFoundError:  # another process swept it first
            continue
        gone += 1
    return gone
