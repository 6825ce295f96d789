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
# A private CA and a certificate for 127.0.0.1 and localhost signed by it,
# made once per data folder. (A self-signed server certificate would not
# do: rustls refuses a CA certificate as the server's own.)
make_certificates() {
    local tls=$1
    [ -f "$tls/server.crt" ] && return 0
    command -v openssl >/dev/null || apt_install openssl
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mlobs local CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null || die "openssl could not make a CA in $tls"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null || die "openssl could not make a key in $tls"
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
        "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$tls/server.ext"
    openssl x509 -req -days 3650 -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
        -CAcreateserial -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null ||
        die "openssl could not sign the server certificate in $tls"
}

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
