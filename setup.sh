#!/usr/bin/env bash
# Set up everything capplan needs on a fresh Debian/Ubuntu machine (system packages for the PDF,
# the charts and the workbook tests; a virtualenv in .venv) and produce the sample capacity plan
# into outputs/nyc_taxi/. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
APT_PACKAGES="chromium poppler-utils libreoffice-calc-nogui fonts-dejavu fonts-liberation libharfbuzz-subset0"
missing=""
for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
fi
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,dask]'
# An editable install leaves capplan's own modules uncompiled; where PYTHONDONTWRITEBYTECODE is set
# Python would compile them from source at every start (about 0.16 s). pip compiled the rest.
.venv/bin/python -m compileall -q capplan
if [ "${1:-}" != "--no-sample" ]; then
  .venv/bin/capplan forecast inputs/nyc_taxi.csv --config inputs/service.toml
fi
