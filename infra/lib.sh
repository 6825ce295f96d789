#!/usr/bin/env bash
# Shared helpers for the infra scripts: where tools are cached, where state
# lives, and how a service is started, checked and stopped through its PID
# file. Sourcing this file starts nothing.

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$INFRA_DIR")"
# Tools are cached outside the repository so that a second clone reuses them.
MLOBS_CACHE="${MLOBS_CACHE:-$HOME/.cache/mlobs}"
# Everything a running stack writes lives under this one folder.
MLOBS_DATA="${MLOBS_DATA:-$REPO_DIR/.mlobs-data}"
mkdir -p "$MLOBS_CACHE" "$MLOBS_DATA"
# Apache Kafka (infra/kafka/install.sh): the jars of infra/kafka/pom.xml,
# cached per version and per pom (a changed pom installs afresh).
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$INFRA_DIR/kafka/pom.xml")
KAFKA_ROOT="$MLOBS_CACHE/kafka-$KAFKA_VERSION-$(sha256sum "$INFRA_DIR/kafka/pom.xml" | cut -c1-8)"

say() { echo "mlobs-infra: $*" >&2; }
die() { say "error: $*"; exit 1; }

pid_file() { echo "$MLOBS_DATA/$1/$1.pid"; }

# Prints the PID of our running instance of service $1, or fails.
our_pid() {
    local file pid
    file=$(pid_file "$1")
    [ -f "$file" ] || return 1
    pid=$(cat "$file")
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Polls command "$@" every 0.2 s until it succeeds or $timeout seconds pass.
wait_until() {
    local timeout=$1; shift
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

http_ok() { curl -fsS --max-time 2 "$1" >/dev/null; }

# start_service NAME PORT READY_TIMEOUT READY_CMD -- COMMAND...
# Starts COMMAND in the background (working directory: the service's data
# folder) unless our instance already runs, refuses a port that something
# else holds, and waits until READY_CMD succeeds.
start_service() {
    local name=$1 port=$2 timeout=$3 ready=$4
    shift 5
    local dir="$MLOBS_DATA/$name"
    mkdir -p "$dir"
    if pid=$(our_pid "$name"); then
        say "$name already running (pid $pid, port $port)"
        return 0
    fi
    if port_in_use "$port"; then
        die "port $port (for $name) is taken by a process mlobs did not start; stop it, or stop the other mlobs checkout with 'make down' there"
    fi
    # setsid: the service leads its own process group, so that stopping it
    # also stops the workers it forks (MLflow's, for one).
    (cd "$dir" && exec setsid nohup "$@" >"$dir/$name.log" 2>&1 </dev/null) &
    echo $! >"$(pid_file "$name")"
    if ! wait_until "$timeout" $ready; then
        tail -20 "$dir/$name.log" >&2
        die "$name did not become ready on port $port within ${timeout}s (log: $dir/$name.log)"
    fi
    say "$name up on 127.0.0.1:$port"
}

# True while any process of the group led by PID $1 is alive.
group_alive() { ps -e -o pgid= | grep -qw "$1"; }
group_gone() { ! group_alive "$1"; }

# Stops our instance of service NAME and the processes it started, by its
# process group (TERM, then KILL after 10 s).
stop_service() {
    local name=$1 pid
    if pid=$(our_pid "$name"); then
        kill -TERM -- "-$pid" 2>/dev/null || true
        if ! wait_until 10 group_gone "$pid"; then
            kill -KILL -- "-$pid" 2>/dev/null || true
            # Killed is not yet gone: its port is free only once it is.
            wait_until 10 group_gone "$pid" || die "$name (pid $pid) outlived SIGKILL for 10 s"
        fi
        say "$name stopped (pid $pid)"
    fi
    rm -f "$(pid_file "$name")"
}

# Installs Debian packages without starting their services (we run the
# binaries ourselves, on loopback).
apt_install() {
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    command -v apt-get >/dev/null || die "apt-get not found: install $* by hand (see README)"
    # policy-rc.d exit 101 tells the package scripts not to start services.
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "$@" >&2 ||
        { $sudo apt-get update >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "$@" >&2; }
    $sudo rm -f /usr/sbin/policy-rc.d
}

# A private CA and a certificate for 127.0.0.1 and localhost signed by it,
# made once per folder $1 (ca.crt, server.crt, server.key; the key is
# PKCS#8, which Kafka's PEM key stores need), for services a test runs
# with TLS. (A self-signed server certificate would not
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
