"""GDAL's own tools, as a GIS user runs them: the GeoPackage validator from Debian's
python3-gdal and ogrinfo from gdal-bin (``make test`` installs both).  A missing tool
fails the test that needs it: it never skips."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

VALIDATOR = "osgeo_utils.samples.validate_gpkg"
SYSTEM_PYTHON = "/usr/bin/python3"  # python3-gdal installs into Debian's own Python


def _need(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: 'make test' installs gdal-bin and python3-gdal"
    return path


def validate_gpkg(path: Path | str) -> None:
    """GDAL's validate_gpkg.py reports no error (with its checks of table contents)."""
    _need("ogrinfo")
    done = subprocess.run(
        [SYSTEM_PYTHON, "-m", VALIDATOR, str(path)], capture_output=True, text=True, timeout=600
    )
    assert "No module named" not in done.stderr, done.stderr
    assert done.returncode == 0 and "ERROR" not in done.stdout + done.stderr, (
        f"validate_gpkg.py {path}:\n{done.stdout}{done.stderr}"
    )


def ogr(*args: str) -> str:
    """ogrinfo / ogr2ogr output; a failure is an assertion naming what it said."""
    tool = _need(args[0])
    done = subprocess.run([tool, *args[1:]], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def has_spatial_index(path: Path | str, table: str) -> bool:
    out = ogr("ogrinfo", "-q", str(path), "-sql", f"SELECT HasSpatialIndex('{table}', 'geom')")
    return "= 1" in out


# Moves features as QGIS's OGR provider does when a user edits a geometry: the feature
# read, its geometry replaced, the whole feature written back with SetFeature (its
# attributes, lon/lat included, as they were).
_EDIT = """
import json, sys
from osgeo import ogr
ogr.UseExceptions()
source, edits = sys.argv[1], json.loads(sys.argv[2])
ds = ogr.Open(source, update=1)
for layer_name, fid, wkt in edits:
    layer = ds.GetLayerByName(layer_name)
    feature = layer.GetFeature(fid)
    assert feature is not None, (layer_name, fid)
    feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
    assert layer.SetFeature(feature) == 0
ds = None
"""


def ogr_edit(source: str, edits: list[tuple[str, int, str]]) -> None:
    """Replace the geometry of each (layer, fid, WKT) with GDAL's Python bindings, in
    Debian's Python (python3-gdal); ``source``: a GeoPackage path or ``PG:...``."""
    import json

    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", _EDIT, source, json.dumps(edits)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
