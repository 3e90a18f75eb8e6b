"""The round-2 upload attacks (SECURITY.md findings 1 and 9), made by the tests
themselves: GDALG files (GDAL's streamed algorithms, JSON that starts with ``{``) and a
GeoPackage whose layer is a view over a recursive query.  Each reproduced its finding
against the server as it was."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path


def gdalg(source: str, sql: str, options: str = "") -> bytes:
    """The round-2 file: a ``gdal vector sql`` pipeline over ``source``, as GDAL's GDALG
    driver runs it when it is left to pick the driver (each reproduced the finding)."""
    line = (
        f'gdal vector sql --dialect SQLITE --sql "{sql}" {options} --input {source} '
        "--output-format stream --output streamed"
    )
    return json.dumps(
        {
            "type": "gdal_streamed_alg",
            "relative_paths_relative_to_this_file": False,
            "command_line": line,
        }
    ).encode()


POINT = "MakePoint(125.1, 46.6, 4326) AS geom"
BOX = "BuildMbr(125.1, 46.6, 125.2, 46.7, 4326) AS geom"
# Each line of /etc/passwd as an area's code: the old validation report listed them all.
PASSWD = gdalg("CSV:/etc/passwd", f"SELECT field_1 AS code, {BOX} FROM passwd", "--oo HEADERS=NO")


def recursive_view_gpkg(n: int = 30_000_000) -> bytes:
    """A GeoPackage (built with sqlite3 alone) whose only layer is a view over a
    ``WITH RECURSIVE`` counting to ``n``: GDAL would run it (46 s for 3·10^7)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.gpkg"
        con = sqlite3.connect(path)
        con.executescript(
            f"""
            PRAGMA application_id = 1196444487;  -- 'GPKG'
            PRAGMA user_version = 10300;
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER
              PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER
              NOT NULL, definition TEXT NOT NULL, description TEXT);
            INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326,
              'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],
              PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]', NULL);
            CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type
              TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
              last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
              srs_id INTEGER);
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT
              NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
              z TINYINT NOT NULL, m TINYINT NOT NULL);
            CREATE VIEW streets AS WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL
              SELECT i + 1 FROM c WHERE i < {n})
              SELECT max(i) AS fid, 'x' AS code, NULL AS geom FROM c;
            INSERT INTO gpkg_contents VALUES ('streets', 'features', 'streets', '',
              '2026-01-01T00:00:00Z', 125, 46, 126, 47, 4326);
            INSERT INTO gpkg_geometry_columns VALUES ('streets', 'geom', 'POINT', 4326, 0, 0);
            """
        )
        con.close()
        return path.read_bytes()
