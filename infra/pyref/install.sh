#!/usr/bin/env bash
# The reference Python used by tests and benchmarks: scipy for exact
# statistics to check ours against, Evidently (the drift decisions `mlobs
# drift` promises to match; 0.7.23 needs pandas < 3), pandas/pyarrow to write
# Parquet test files, fastavro (an independent Avro encoder, to check the
# privacy hash), chdb (embedded current ClickHouse) to check the schema's
# dialect, the official MCP client (mcp) to test `mlobs mcp serve`,
# kubernetes-validate (the API schemas, offline) to check infra/k8s, and the
# peers `make bench` times beside `mlobs drift`: NannyML and whylogs (whose
# drift scores import IPython).
# Installed once into the tool cache; prints the interpreter path.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

VENV="$MLOBS_CACHE/pyref-7"
if [ ! -f "$VENV/.installed" ]; then
    say "installing the reference Python tools into $VENV (first time only, a few minutes)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet scipy==1.17.1 numpy==2.4.6 pandas==2.3.3 pyarrow==26.0.1 chdb==4.4.0 evidently==0.7.23 fastavro==1.12.1 mcp==1.30.0 kubernetes-validate==1.37.0 nannyml==0.13.1 whylogs==1.6.4 ipython==9.8.0 >&2
    touch "$VENV/.installed"
fi
echo "$VENV/bin/python"
