#!/usr/bin/env bash
# A three-node Apache Kafka cluster on loopback, for tests that lose
# brokers: each node is broker and KRaft controller in one process (the
# quorum is the three), started with infra/kafka/service.sh in a folder of
# its own under DIR, with Kafka's own topics replicated 3 times.
#
#   infra/kafka/cluster.sh up DIR P1,P2,P3 C1,C2,C3   start the nodes (client ports P, controller ports C), wait for all
#   infra/kafka/cluster.sh start DIR N                start node N again (after a kill) and wait for it
#   infra/kafka/cluster.sh controller DIR             print the node id of the active controller
#   infra/kafka/cluster.sh down DIR                   stop every node
#
# A node's PID is in DIR/node-N/kafka/kafka.pid, its log in
# DIR/node-N/kafka/kafka.log.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

command=${1:-}
dir=${2:-}
usage="usage: infra/kafka/cluster.sh up DIR P1,P2,P3 C1,C2,C3 | start DIR N | controller DIR | down DIR"
[ -n "$dir" ] || die "$usage"
settings="$dir/cluster.env"

# Runs "$2..." with node $1's service definitions and environment.
on_node() {
    local node=$1
    shift
    # shellcheck disable=SC1090
    source "$settings"
    local ports controllers voters="" i
    IFS=, read -r -a ports <<<"$CLIENT_PORTS"
    IFS=, read -r -a controllers <<<"$CONTROLLER_PORTS"
    for i in 1 2 3; do voters+="${voters:+,}$i@127.0.0.1:${controllers[$((i - 1))]}"; done
    (
        export MLOBS_DATA="$dir/node-$node" MLOBS_KAFKA_NODE_ID=$node MLOBS_KAFKA_VOTERS=$voters
        export MLOBS_KAFKA_PORT=${ports[$((node - 1))]} MLOBS_KAFKA_CONTROLLER_PORT=${controllers[$((node - 1))]}
        export MLOBS_KAFKA_CLUSTER_ID=$CLUSTER_ID MLOBS_KAFKA_REPLICATION=3
        source "$INFRA_DIR/kafka/service.sh"
        "$@"
    )
}

# Starts node $1's process without waiting: a node finishes starting only
# once a quorum of controllers runs.
launch() {
    mkdir -p "$MLOBS_DATA/kafka"
    svc_command
    start_service kafka "$PORT" 1 true -- "${CMD[@]}"
}
wait_ready() {
    wait_until "$READY_TIMEOUT" svc_ready ||
        die "node $MLOBS_KAFKA_NODE_ID did not start within ${READY_TIMEOUT}s (log: $MLOBS_DATA/kafka/kafka.log)"
}
stop() { stop_service kafka; }
bootstrap() {
    # shellcheck disable=SC1090
    source "$settings"
    sed 's/[0-9][0-9]*/127.0.0.1:&/g' <<<"$CLIENT_PORTS"
}

case $command in
    up)
        [ $# -eq 4 ] || die "$usage"
        mkdir -p "$dir"
        "$INFRA_DIR/kafka/install.sh"
        cluster_id=$(source "$INFRA_DIR/kafka/service.sh" && kafka_java kafka.tools.StorageTool random-uuid)
        printf 'CLIENT_PORTS=%s\nCONTROLLER_PORTS=%s\nCLUSTER_ID=%s\n' "$3" "$4" "$cluster_id" >"$settings"
        for node in 1 2 3; do on_node "$node" launch; done
        for node in 1 2 3; do on_node "$node" wait_ready; done
        say "cluster up: $(bootstrap)"
        ;;
    start)
        [ $# -eq 3 ] || die "$usage"
        on_node "$3" launch
        on_node "$3" wait_ready
        ;;
    controller)
        (source "$INFRA_DIR/kafka/service.sh" &&
            kafka_java org.apache.kafka.tools.MetadataQuorumCommand --bootstrap-server "$(bootstrap)" \
                describe --status) | sed -n 's/^LeaderId: *//p'
        ;;
    down) for node in 1 2 3; do on_node "$node" stop; done ;;
    *) die "$usage" ;;
esac
