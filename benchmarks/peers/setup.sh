#!/usr/bin/env bash
# Separate environment for the peer packages the benchmark compares against.
# They are run, never shipped: none is a ketaclinic dependency. anasim-simulator is
# under a noncommercial licence from 1.6 on.
# Usage: bash benchmarks/peers/setup.sh   (idempotent; creates .venv-peers, ignored by git)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-python3}"
VENV=.venv-peers
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# opentiva 1.1.2 builds a Cython extension and does not declare its build requirements.
"$VENV/bin/python" -m pip install --quiet cython numpy setuptools wheel
"$VENV/bin/python" -m pip install --quiet --no-build-isolation "opentiva==1.1.2"
"$VENV/bin/python" -m pip install --quiet "PyTCI==1.2.0" "anasim-simulator==1.7"
"$VENV/bin/python" -c "import opentiva, PyTCI, anasim; print('peers ready')"
