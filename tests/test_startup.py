"""What a command loads before it works: what it does not need stays out of the process.

Why: ``gridmap lookup --in`` is a new process each time, and importing a library it never
uses is paid on every run: Alembic for a store already current (0.15 s), geopandas and
pyproj when the areas come from the index's cache file (0.1 s), Dask for the local engine.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

from gridmap.stores import migrations


def test_head_names_the_newest_revision():
    assert migrations.head() == migrations.HEAD


LOADED = """
import sys
from click.testing import CliRunner
from gridmap.cli import main
out = CliRunner().invoke(main, sys.argv[1:])
assert out.exit_code == 0, out.output
print(" ".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _modules(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, *args], capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())


def test_a_batch_lookup_from_the_cache_file_loads_only_what_it_uses(sample_path, tmp_path):
    db = tmp_path / "city.gpkg"
    shutil.copy(sample_path, db)
    src = tmp_path / "points.csv"
    src.write_text("id,lon,lat\n1,125.10,46.59\n2,124.90,46.50\n", encoding="utf-8")
    args = ["--db", f"gpkg://{db}", "lookup", "--in", str(src), "--out", str(tmp_path / "o.csv")]
    _modules(*args)  # the first run builds the index's cache file
    loaded = _modules(*args)
    assert not loaded & {"alembic", "mako", "geopandas", "pyproj", "dask", "scipy"}
