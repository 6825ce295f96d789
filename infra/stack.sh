#!/usr/bin/env bash
# The local mlobs stack: install (once, cached) and run each service on
# 127.0.0.1 with all state under one data folder.
#
#   infra/stack.sh up [SERVICE...]     install what is missing, start, wait until ready
#   infra/stack.sh down [SERVICE...]   stop what we started (by PID), the demo pipeline too
#   infra/stack.sh status              per service: running or not, port, version
#   infra/stack.sh reset SERVICE...    stop, delete that service's data, start again
#   infra/stack.sh clean-state         stop everything and delete the data folder
#   infra/stack.sh install [SERVICE...]  install only
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ALL_SERVICES=(kafka clickhouse prometheus alertmanager mlflow)

service_file() {
    case $1 in
        alertmanager) echo "$INFRA_DIR/prometheus/alertmanager.sh" ;;
        kafka | clickhouse | prometheus | mlflow) echo "$INFRA_DIR/$1/service.sh" ;;
        *) die "unknown service '$1'; known: ${ALL_SERVICES[*]}" ;;
    esac
}

# Runs "$2" for service $1 in a subshell that has the service's definitions.
with_service() {
    local file
    file=$(service_file "$1")
    (source "$file" && "$2")
}

install_one() { svc_install; }
up_one() {
    svc_install
    mkdir -p "$MLOBS_DATA/$NAME"
    svc_command
    start_service "$NAME" "$PORT" "$READY_TIMEOUT" svc_ready -- "${CMD[@]}"
}
down_one() { stop_service "$NAME"; }
status_one() {
    local pid state
    if pid=$(our_pid "$NAME") && svc_ready; then
        state="running (pid $pid)"
    elif pid=$(our_pid "$NAME"); then
        state="starting or unhealthy (pid $pid)"
    else
        state="stopped"
    fi
    printf '%-13s %-28s 127.0.0.1:%-6s %s\n' "$NAME" "$state" "$PORT" "$(svc_version || echo 'not installed')"
}

command=${1:-}
shift || true
services=("$@")
[ ${#services[@]} -gt 0 ] || services=("${ALL_SERVICES[@]}")

case $command in
    install) for s in "${services[@]}"; do with_service "$s" install_one; done ;;
    up) for s in "${services[@]}"; do with_service "$s" up_one; done ;;
    down)
        # The agent and the pipeline `make demo` leaves running go first
        # (all-services case).
        [ $# -gt 0 ] || { stop_service demo-agent; stop_service demo; }
        for s in "${services[@]}"; do with_service "$s" down_one; done
        ;;
    reset)
        [ $# -gt 0 ] || die "usage: infra/stack.sh reset SERVICE... (which data to throw away)"
        for s in "${services[@]}"; do
            with_service "$s" down_one
            rm -rf "${MLOBS_DATA:?}/$s"
            with_service "$s" up_one
        done
        ;;
    status)
        printf '%-13s %-28s %-16s %s\n' SERVICE STATE ADDRESS VERSION
        for s in "${services[@]}"; do with_service "$s" status_one; done
        ;;
    clean-state)
        stop_service demo-agent
        stop_service demo
        for s in "${ALL_SERVICES[@]}"; do with_service "$s" down_one; done
        rm -rf "$MLOBS_DATA"
        say "removed $MLOBS_DATA"
        ;;
    *) die "usage: infra/stack.sh up|down|status|install|reset|clean-state [SERVICE...]" ;;
esac
