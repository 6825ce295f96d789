#!/usr/bin/env bash
# Checks the stack scripts themselves (run by `make test` after the tests):
# `status` shows every service up, `down` leaves none of our processes
# running, and a port held by a stranger is refused with a clear message.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
STACK="$INFRA_DIR/stack.sh"
fail() { say "check-stack FAILED: $*"; exit 1; }

status=$("$STACK" status)
echo "$status"
for service in kafka clickhouse prometheus alertmanager mlflow; do
    grep -Eq "^$service +running" <<<"$status" || fail "$service is not running"
done

pids=$(cat "$MLOBS_DATA"/*/*.pid)
"$STACK" down
for pid in $pids; do
    ! group_alive "$pid" || fail "processes of group $pid still run after down"
done
for port in 9092 9095 8123 9090 9093 5000; do
    ! port_in_use "$port" || fail "port $port still in use after down"
done
grep -Eq "^kafka +stopped" <<<"$("$STACK" status)" || fail "status does not say stopped"

# A stranger on the Kafka port: `up` must refuse and say why.
python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",9092)); s.listen(); time.sleep(30)' &
stranger=$!
wait_until 5 port_in_use 9092 || fail "could not start the stand-in listener"
if message=$("$STACK" up kafka 2>&1); then
    kill "$stranger"
    fail "up succeeded although port 9092 was taken"
fi
kill "$stranger"
grep -q "port 9092 (for kafka) is taken" <<<"$message" || fail "unclear message: $message"
say "check-stack passed: status, down and port conflicts behave"
