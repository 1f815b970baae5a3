#!/usr/bin/env bash
# Idempotently create a venv (outside the repo) holding the reference
# implementation: neurospatial==0.6.0 from PyPI, plus a system ffmpeg.
#
# Usage: bash benchmarks/reference/setup_reference.sh
#   NS_REF_VENV=/path/to/venv  overrides the venv location
#   NS_REF_PYTHON=python3.11   overrides the base interpreter
set -euo pipefail

VENV="${NS_REF_VENV:-/work/refbench/.venv-ref06}"
BASE_PY="${NS_REF_PYTHON:-python3}"
REF_VERSION="0.6.0"

# 1. system ffmpeg (the reference shells out to `ffmpeg` for MP4 export)
if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
    echo "[setup_reference] installing ffmpeg via apt-get" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ffmpeg
fi

# 2. venv
if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup_reference] creating venv $VENV" >&2
    mkdir -p "$(dirname "$VENV")"
    "$BASE_PY" -m venv "$VENV"
fi

# 3. reference package (skip pip entirely if already the right version)
if ! "$VENV/bin/python" - <<PY 2>/dev/null
import importlib.metadata as m, sys
sys.exit(0 if m.version("neurospatial") == "$REF_VERSION" else 1)
PY
then
    echo "[setup_reference] installing neurospatial==$REF_VERSION" >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # matplotlib: figure rendering for both video and html backends
    # (declared deps of neurospatial; listed explicitly so the backends work
    #  even if a future resolver drops them)
    "$VENV/bin/python" -m pip install -q "neurospatial==$REF_VERSION" matplotlib
fi

"$VENV/bin/python" -c "import neurospatial, importlib.metadata as m; print('[setup_reference] neurospatial', m.version('neurospatial'))" >&2
echo "$VENV/bin/python"
