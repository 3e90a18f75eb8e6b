#!/usr/bin/env bash
# What the tests need beyond Python packages, installed with apt when run as root:
#  - Debian's Chromium (driven by Playwright, whose own browser download does not work
#    offline) and CJK fonts for the screenshots;
#  - GDAL's tools, which the tests run over the GeoPackages gridmap writes: ogrinfo and
#    ogr2ogr (gdal-bin) and the GeoPackage validator (python3-gdal's validate_gpkg.py);
#  - wrk, the HTTP load generator `make bench` runs;
#  - PostgreSQL with PostGIS, running (unless GRIDMAP_TEST_POSTGRES names another server).
set -euo pipefail

as_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests need: $* (Debian packages); install them as root: apt-get install -y $*" >&2
    exit 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  echo "installing $* ..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
command -v ogrinfo >/dev/null 2>&1 || missing+=(gdal-bin)
# wrk: the load generator of benchmarks/serve_bench.py (C: it leaves the cores to the server)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
/usr/bin/python3 -c "import osgeo_utils.samples.validate_gpkg" >/dev/null 2>&1 \
  || missing+=(python3-gdal)
[ ${#missing[@]} -eq 0 ] || as_root "${missing[@]}"

if [ -z "${GRIDMAP_TEST_POSTGRES:-}" ]; then
  [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ] || as_root postgresql
  major=$(ls /etc/postgresql | sort -n | tail -n 1)
  ls /usr/share/postgresql/"$major"/extension/postgis.control >/dev/null 2>&1 \
    || as_root "postgresql-$major-postgis-3"
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "starting PostgreSQL $major ..."
    pg_ctlcluster --skip-systemctl-redirect "$major" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi

# axe-core, the accessibility checker tests/web/test_accessibility_browser.py injects into
# each page: from the npm registry at the version tests/vendor/VERSIONS.md names (a
# download, kept out of git like the Python packages).
AXE_VERSION=4.14.1
vendor="$(dirname "$0")/../tests/vendor"
axe="$vendor/node_modules/axe-core"
if ! grep -qs "\"version\": \"$AXE_VERSION\"" "$axe/package.json"; then
  echo "installing axe-core $AXE_VERSION from the npm registry ..."
  npm install --no-save --no-audit --no-fund --silent --prefix "$vendor" "axe-core@$AXE_VERSION"
fi
