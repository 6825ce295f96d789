#!/usr/bin/env bash
# The Python SDK's own virtualenv (sdk/python): its dependencies
# (confluent-kafka, fastavro), the FastAPI example's (fastapi, uvicorn,
# httpx) and pytest, installed once into the tool cache; then the package
# itself from this checkout, every time (a few seconds, no network: the
# build backend is in the venv). Prints the interpreter path.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

VENV="$MLOBS_CACHE/pysdk-1"
if [ ! -f "$VENV/.installed" ]; then
    say "installing the Python SDK's virtualenv into $VENV (first time only, about a minute)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet confluent-kafka==2.16.2 fastavro==1.12.1 fastapi==0.165.0 uvicorn==0.55.0 httpx==0.29.0 pytest==9.2.0 setuptools==84.2.1 >&2
    touch "$VENV/.installed"
fi
"$VENV/bin/pip" install --quiet --no-deps --no-build-isolation --force-reinstall "$REPO_DIR/sdk/python" >&2
echo "$VENV/bin/python"
