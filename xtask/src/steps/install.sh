#!/bin/sh
# Install every package of this bundle, offline, checking each file's sha256.
#   ./install.sh            into the Python on PATH (python3, or $PYTHON)
#   ./install.sh VENV       into the virtual environment VENV (created if missing)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
if [ $# -gt 0 ]; then
    if [ ! -x "$1/bin/python" ]; then
        "$python" -m venv "$1"
    fi
    python="$1/bin/python"
fi
exec "$python" -m pip install --no-index --find-links "$here" --require-hashes -r "$here/requirements.txt"
