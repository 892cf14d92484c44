#!/usr/bin/env bash
# Reproduce the PEERS.md comparison: capplan's chosen model beside Prophet and statsforecast's
# AutoARIMA and AutoETS, on the eight shared series. The peers live in their own venv
# (bench/.peers-venv): they pin pandas<3 and are never capplan dependencies.
# Run from the project root after ./setup.sh:  bash bench/growth/compare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PV=bench/.peers-venv
if [ ! -x "$PV/bin/python" ]; then
  python3 -m venv "$PV"
  "$PV/bin/pip" install -q --disable-pip-version-check "pandas<3" "python-dateutil<3" prophet statsforecast openpyxl
fi
mkdir -p bench/results
[ -f bench/results/peers.json ] || OMP_NUM_THREADS=1 "$PV/bin/python" bench/growth/run_peers.py bench/results/peers.json
.venv/bin/python bench/growth/run_capplan.py --json bench/results/capplan.json
.venv/bin/python bench/growth/table.py bench/results/peers.json bench/results/capplan.json
