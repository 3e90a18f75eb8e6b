"""The code as it was before issue 16 ("today"), unpacked from git, for benchmarks that
measure a change against the code it replaces in the same run.

    with baseline_tree() as root:
        subprocess.run([sys.executable, "-m", "gridmap.cli", ...], env=baseline_env(root))
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REV = "d2016b6"  # the last commit before issue 16 (lookups at scale)


@contextlib.contextmanager
def baseline_tree(rev: str = REV) -> Iterator[Path]:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True
    ).stdout
    with tempfile.TemporaryDirectory(prefix="gridmap-baseline-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp)


def baseline_env(root: Path, **extra: str) -> dict[str, str]:
    """The environment that runs ``root``'s packages (with this venv's libraries)."""
    return {**os.environ, "PYTHONPATH": str(root), **extra}


def cli(root: Path | None) -> list[str]:
    """The command line of ``gridmap`` from ``root`` (None: this checkout's)."""
    import sys

    if root is None:
        return [str(Path(sys.executable).parent / "gridmap")]
    # root first on the path, whatever the working directory (python -c puts it first).
    code = (
        f"import sys; sys.path.insert(0, {str(root)!r}); import gridmap; "
        f"assert gridmap.__file__.startswith({str(root)!r}), gridmap.__file__; "
        "from gridmap.cli import main; sys.exit(main())"
    )
    return [sys.executable, "-c", code]
