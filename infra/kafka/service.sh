# tansu, a Kafka-compatible broker, with durable SQLite storage.
# (memory:// storage reports wrong end offsets; see ../shared/STACK.md.)
NAME=kafka
PORT=${MLOBS_KAFKA_PORT:-9092}
READY_TIMEOUT=30
TANSU="$TANSU_ROOT/bin/tansu"

svc_install() { "$INFRA_DIR/kafka/install.sh"; }
svc_ready() { port_in_use "$PORT"; }
svc_version() { "$TANSU" --version 2>/dev/null | head -1; }
svc_command() {
    # The sqlite path is relative to the working directory (the data folder).
    CMD=("$TANSU" broker
        --listener-url "tcp://127.0.0.1:$PORT"
        --advertised-listener-url "tcp://127.0.0.1:$PORT"
        --storage-engine "sqlite://tansu.db")
}
