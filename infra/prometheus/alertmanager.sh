# Alertmanager from Debian (installed with prometheus). The empty cluster
# address keeps it from opening port 9094 on every interface. A private
# instance (a test's) sets MLOBS_ALERTMANAGER_PORT and MLOBS_ALERTS_WEBHOOK_URL.
NAME=alertmanager
PORT=${MLOBS_ALERTMANAGER_PORT:-9093}
READY_TIMEOUT=30
WEBHOOK_URL=${MLOBS_ALERTS_WEBHOOK_URL:-http://127.0.0.1:9466/alerts}

svc_install() {
    command -v prometheus-alertmanager >/dev/null && return 0
    apt_install prometheus-alertmanager
}
svc_ready() { http_ok "http://127.0.0.1:$PORT/-/ready"; }
svc_version() { prometheus-alertmanager --version 2>&1 | head -1 | grep -o 'version [0-9.]*'; }
svc_command() {
    local dir="$MLOBS_DATA/alertmanager"
    sed -e "s|http://127.0.0.1:9466/alerts|$WEBHOOK_URL|" \
        "$INFRA_DIR/prometheus/alertmanager.yml" >"$dir/alertmanager.yml"
    CMD=(prometheus-alertmanager "--config.file=$dir/alertmanager.yml"
        "--storage.path=$dir" "--web.listen-address=127.0.0.1:$PORT" "--cluster.listen-address=")
}
