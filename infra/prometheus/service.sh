# Prometheus from Debian, scraping the mlobs pipeline and evaluating the
# alert rules in this folder.
NAME=prometheus
PORT=9090
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
    sed -e "s|@INFRA@|$INFRA_DIR|g" -e "s|@DATA@|$MLOBS_DATA|g" \
        "$INFRA_DIR/prometheus/prometheus.yml" >"$dir/prometheus.yml"
    CMD=(prometheus "--config.file=$dir/prometheus.yml" "--storage.tsdb.path=$dir/tsdb"
        "--web.listen-address=127.0.0.1:$PORT" --web.enable-lifecycle)
}
