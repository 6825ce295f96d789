# Apache Kafka in KRaft mode: one process as broker and controller, its
# log and metadata under the data folder, formatted on first start.
#
# A private broker (a test's) or one node of a cluster (infra/kafka/cluster.sh)
# sets, besides MLOBS_DATA:
#   MLOBS_KAFKA_PORT             the client listener (9092)
#   MLOBS_KAFKA_CONTROLLER_PORT  the controller listener (9095; Alertmanager has 9093)
#   MLOBS_KAFKA_NODE_ID          node.id (1)
#   MLOBS_KAFKA_VOTERS           controller.quorum.voters (this node alone)
#   MLOBS_KAFKA_CLUSTER_ID       the id the log folder is formatted with (a new one)
#   MLOBS_KAFKA_REPLICATION      replicas of Kafka's own topics (1); with 3,
#                                their min.insync.replicas is 2
#   MLOBS_KAFKA_SASL_USERS       "admin:PASSWORD,NAME:PASSWORD,...": the client
#                                port speaks SASL_SSL (SCRAM-SHA-512, a
#                                certificate from a CA of the data folder's own,
#                                tls/ca.crt) and ACLs are enforced (the standard
#                                authorizer); `admin` is the super user
NAME=kafka
PORT=${MLOBS_KAFKA_PORT:-9092}
CONTROLLER_PORT=${MLOBS_KAFKA_CONTROLLER_PORT:-9095}
NODE_ID=${MLOBS_KAFKA_NODE_ID:-1}
VOTERS=${MLOBS_KAFKA_VOTERS:-$NODE_ID@127.0.0.1:$CONTROLLER_PORT}
REPLICATION=${MLOBS_KAFKA_REPLICATION:-1}
SASL_USERS=${MLOBS_KAFKA_SASL_USERS:-}
READY_TIMEOUT=60

# Runs one of Kafka's tools (a main class and its arguments).
kafka_java() {
    java -Xmx512m -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2-tools.xml" \
        -cp "$KAFKA_ROOT/lib/*" "$@"
}

svc_install() { "$INFRA_DIR/kafka/install.sh"; }
# Listening is not yet serving: the broker says when it is.
svc_ready() {
    port_in_use "$PORT" && grep -q "Kafka Server started" "$MLOBS_DATA/kafka/kafka.log" 2>/dev/null
}
svc_version() {
    [ -f "$KAFKA_ROOT/.installed" ] && echo "Apache Kafka $KAFKA_VERSION (KRaft)"
}

write_properties() {
    local dir=$1 min_isr=1 client=PLAINTEXT controller=PLAINTEXT
    [ "$REPLICATION" -lt 3 ] || min_isr=2
    [ -z "$SASL_USERS" ] || { client=SASL_SSL; controller=SASL_PLAINTEXT; }
    cat >"$dir/server.properties" <<PROPERTIES
# Written by infra/kafka/service.sh; edits are lost at the next start.
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$VOTERS
listeners=$client://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=$client://127.0.0.1:$PORT
listener.security.protocol.map=$client:$client,CONTROLLER:$controller
controller.listener.names=CONTROLLER
inter.broker.listener.name=$client
log.dirs=$dir/data
# mlobs creates its topics (mlobs topics create); a typo in a topic name
# must be an error, not a new topic.
auto.create.topics.enable=false
offsets.topic.replication.factor=$REPLICATION
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$REPLICATION
transaction.state.log.min.isr=$min_isr
# A group forms as soon as its first member joins (tests start many).
group.initial.rebalance.delay.ms=0
PROPERTIES
    [ -z "$SASL_USERS" ] || write_security "$dir"
}

# The password of user $1 in MLOBS_KAFKA_SASL_USERS.
sasl_password() {
    tr ',' '\n' <<<"$SASL_USERS" | sed -n "s/^$1://p"
}

# SASL_SSL with SCRAM-SHA-512 on the client port and ACLs. The controller
# port speaks SASL PLAIN (SCRAM credentials live in the metadata the
# controller serves, so they cannot guard it) with the admin alone.
write_security() {
    local dir=$1 admin
    admin=$(sasl_password admin)
    [ -n "$admin" ] || die "MLOBS_KAFKA_SASL_USERS must name the super user: admin:PASSWORD,..."
    make_certificates "$dir/tls"
    cat "$dir/tls/server.key" "$dir/tls/server.crt" >"$dir/tls/server.pem"
    cat >>"$dir/server.properties" <<PROPERTIES
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$admin" user_admin="$admin";
ssl.keystore.type=PEM
ssl.keystore.location=$dir/tls/server.pem
ssl.truststore.type=PEM
ssl.truststore.location=$dir/tls/ca.crt
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
PROPERTIES
}

# --add-scram arguments of the format command: every SASL user.
scram_arguments() {
    local user
    for user in $(tr ',' ' ' <<<"$SASL_USERS"); do
        printf -- '--add-scram\nSCRAM-SHA-512=[name=%s,password=%s]\n' "${user%%:*}" "${user#*:}"
    done
}

svc_command() {
    local dir="$MLOBS_DATA/kafka"
    mkdir -p "$dir"
    write_properties "$dir"
    if [ ! -f "$dir/data/meta.properties" ]; then
        local cluster=${MLOBS_KAFKA_CLUSTER_ID:-$(kafka_java kafka.tools.StorageTool random-uuid)}
        local scram=()
        mapfile -t scram < <(scram_arguments)
        kafka_java kafka.tools.StorageTool format --ignore-formatted -t "$cluster" \
            -c "$dir/server.properties" "${scram[@]}" >"$dir/format.log" 2>&1 ||
            { cat "$dir/format.log" >&2; die "formatting Kafka's log folder $dir/data failed"; }
    fi
    CMD=(java -Xms256m -Xmx1g -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.xml"
        -cp "$KAFKA_ROOT/lib/*" kafka.Kafka "$dir/server.properties")
}
