#!/usr/bin/env bash
# The growth benchmark on the ../shared/PEERS.md protocol, every figure of bench/growth/README.md.
# Run from the project root after ./setup.sh:   bash bench/growth/compare.sh
# The peers (Prophet, statsforecast, statsmodels ETS) live in their own venv, bench/.peers-venv
# (gitignored; never capplan dependencies). They take most of an hour on two cores, so their
# per-origin rows are cached in bench/results/peers.json, keyed by the protocol (series.py and the
# data it reads): a rerun only runs capplan (about a minute) unless the protocol changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
PV=bench/.peers-venv
mkdir -p bench/results
if [ ! -x "$PV/bin/python" ]; then
  python3 -m venv "$PV"
  "$PV/bin/pip" install -q --disable-pip-version-check "pandas<3" "python-dateutil<3" \
    prophet statsforecast statsmodels openpyxl
fi
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \
  "$PV/bin/python" bench/growth/run_peers.py bench/results/peers.json
.venv/bin/python -W ignore bench/growth/run_capplan.py bench/results/capplan.json
.venv/bin/python bench/growth/table.py bench/results/peers.json bench/results/capplan.json
.venv/bin/python -W ignore bench/growth/speed.py
