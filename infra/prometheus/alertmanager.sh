# Alertmanager from Debian (installed with prometheus). The empty cluster
# address keeps it from opening port 9094 on every interface.
NAME=alertmanager
PORT=9093
READY_TIMEOUT=30

svc_install() {
    command -v prometheus-alertmanager >/dev/null && return 0
    apt_install prometheus-alertmanager
}
svc_ready() { http_ok "http://127.0.0.1:$PORT/-/ready"; }
svc_version() { prometheus-alertmanager --version 2>&1 | head -1 | grep -o 'version [0-9.]*'; }
svc_command() {
    local dir="$MLOBS_DATA/alertmanager"
    CMD=(prometheus-alertmanager "--config.file=$INFRA_DIR/prometheus/alertmanager.yml"
        "--storage.path=$dir" "--web.listen-address=127.0.0.1:$PORT" "--cluster.listen-address=")
}
