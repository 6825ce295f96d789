# Prometheus from Debian, scraping the mlobs pipeline and evaluating the
# alert rules in rules/. A private instance (a test's) sets
# MLOBS_PROMETHEUS_PORT, MLOBS_PROMETHEUS_RULES (a glob of rule files) and
# MLOBS_ALERTMANAGER_PORT (the Alertmanager it sends to).
NAME=prometheus
PORT=${MLOBS_PROMETHEUS_PORT:-9090}
RULES=${MLOBS_PROMETHEUS_RULES:-$INFRA_DIR/prometheus/rules/*.yml}
ALERTMANAGER=127.0.0.1:${MLOBS_ALERTMANAGER_PORT:-9093}
READY_TIMEOUT=30

svc_install() {
    command -v prometheus >/dev/null && return 0
    say "installing prometheus from Debian"
    apt_install prometheus prometheus-alertmanager
}
svc_ready() { http_ok "http://127.0.0.1:$PORT/-/ready"; }
svc_version() { prometheus --version 2>&1 | head -1 | grep -o 'version [0-9.]*'; }
svc_command() {
    local dir="$MLOBS_DATA/prometheus"
    mkdir -p "$dir/targets"
    sed -e "s|@RULES@|$RULES|g" -e "s|@DATA@|$MLOBS_DATA|g" -e "s|@ALERTMANAGER@|$ALERTMANAGER|g" \
        "$INFRA_DIR/prometheus/prometheus.yml" >"$dir/prometheus.yml"
    CMD=(prometheus "--config.file=$dir/prometheus.yml" "--storage.tsdb.path=$dir/tsdb"
        "--web.listen-address=127.0.0.1:$PORT" --web.enable-lifecycle)
}
