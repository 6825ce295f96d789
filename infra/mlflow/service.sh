# MLflow tracking server and model registry, from PyPI, in a virtualenv kept
# in the tool cache.
NAME=mlflow
PORT=${MLOBS_MLFLOW_PORT:-5000}
READY_TIMEOUT=90
MLFLOW_VERSION=3.17.2
VENV="$MLOBS_CACHE/mlflow-$MLFLOW_VERSION"

svc_install() {
    [ -f "$VENV/.installed" ] && return 0
    say "installing mlflow $MLFLOW_VERSION into $VENV (first time only, 2-3 minutes)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "mlflow==$MLFLOW_VERSION"
    touch "$VENV/.installed"
}
svc_ready() { http_ok "http://127.0.0.1:$PORT/health"; }
svc_version() { "$VENV/bin/python" -c 'import mlflow; print(mlflow.__version__)' 2>/dev/null; }
svc_command() {
    local dir="$MLOBS_DATA/mlflow"
    mkdir -p "$dir/artifacts"
    # Job execution needs extra services; --artifacts-destination keeps
    # artifact uploads and reads consistent (see ../shared/STACK.md).
    export MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false
    CMD=("$VENV/bin/mlflow" server --backend-store-uri "sqlite:///$dir/mlflow.db"
        --artifacts-destination "$dir/artifacts" --host 127.0.0.1 --port "$PORT" --workers 1)
}
