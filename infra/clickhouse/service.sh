# ClickHouse from Debian (18.16), run as a plain background process with our
# own config so that nothing is written outside the data folder.
NAME=clickhouse
PORT=${MLOBS_CLICKHOUSE_PORT:-8123}
NATIVE_PORT=${MLOBS_CLICKHOUSE_NATIVE_PORT:-9000}
READY_TIMEOUT=30

svc_install() {
    command -v clickhouse-server >/dev/null && return 0
    say "installing clickhouse-server from Debian"
    apt_install clickhouse-server clickhouse-client
}
svc_ready() { http_ok "http://127.0.0.1:$PORT/ping"; }
svc_version() { clickhouse-client --version 2>/dev/null | grep -o "[0-9][0-9.]*[0-9]" | head -1; }
svc_command() {
    local dir="$MLOBS_DATA/clickhouse"
    mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
    sed -e "s|@DIR@|$dir|g" -e "s|@HTTP_PORT@|$PORT|g" -e "s|@TCP_PORT@|$NATIVE_PORT|g" \
        "$INFRA_DIR/clickhouse/config.xml" >"$dir/config.xml"
    cp "$INFRA_DIR/clickhouse/users.xml" "$dir/users.xml"
    CMD=(clickhouse-server "--config-file=$dir/config.xml")
}
