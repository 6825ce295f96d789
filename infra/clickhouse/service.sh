# ClickHouse from Debian (18.16), run as a plain background process with our
# own config so that nothing is written outside the data folder.
NAME=clickhouse
PORT=${MLOBS_CLICKHOUSE_PORT:-8123}
NATIVE_PORT=${MLOBS_CLICKHOUSE_NATIVE_PORT:-9000}
# HTTPS beside HTTP when set (tests of clickhouse.url https:// and
# clickhouse.ca_file): the certificate is signed by a CA of this data
# folder's own, $MLOBS_DATA/clickhouse/tls/ca.crt.
HTTPS_PORT=${MLOBS_CLICKHOUSE_HTTPS_PORT:-}
READY_TIMEOUT=30

svc_install() {
    command -v clickhouse-server >/dev/null && return 0
    say "installing clickhouse-server from Debian"
    apt_install clickhouse-server clickhouse-client
}
svc_ready() {
    http_ok "http://127.0.0.1:$PORT/ping" &&
        { [ -z "$HTTPS_PORT" ] || curl -fsS --max-time 2 --cacert "$MLOBS_DATA/clickhouse/tls/ca.crt" \
            "https://127.0.0.1:$HTTPS_PORT/ping" >/dev/null; }
}
svc_version() { clickhouse-client --version 2>/dev/null | grep -o "[0-9][0-9.]*[0-9]" | head -1; }
svc_command() {
    local dir="$MLOBS_DATA/clickhouse" https=""
    mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
    if [ -n "$HTTPS_PORT" ]; then
        make_certificates "$dir/tls"
        https="<https_port>$HTTPS_PORT</https_port><openSSL><server>"
        https+="<certificateFile>$dir/tls/server.crt</certificateFile><privateKeyFile>$dir/tls/server.key</privateKeyFile>"
        https+="<verificationMode>none</verificationMode><loadDefaultCAFile>false</loadDefaultCAFile>"
        https+="<disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols></server></openSSL>"
    fi
    sed -e "s|@DIR@|$dir|g" -e "s|@HTTP_PORT@|$PORT|g" -e "s|@TCP_PORT@|$NATIVE_PORT|g" \
        -e "s|@HTTPS@|$https|" "$INFRA_DIR/clickhouse/config.xml" >"$dir/config.xml"
    cp "$INFRA_DIR/clickhouse/users.xml" "$dir/users.xml"
    CMD=(clickhouse-server "--config-file=$dir/config.xml")
}
