#!/usr/bin/env bash
# End-to-end throughput through the local Kafka: bench/throughput.toml is
# produced into fresh topics first (timed on its own), then, on those same
# records:
# - Kafka's own consumer (ConsumerPerformance, kafka-tools) reads them: what
#   the broker delivers to a consumer that does nothing;
# - the stage-1 runtime processes them in process, read into memory first
#   (pipeline/benches/runtime_on_topics.rs): the rate without Kafka;
# - `mlobs run` consumes them from the start: one instance without sinks (no
#   ClickHouse, no metrics endpoint), one with all sinks on, two with all
#   sinks on; the clock stops when every window result is complete.
# Events = predictions + labels.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/lib.sh
MLOBS=$REPO_DIR/target/release/mlobs
# SCENARIO=file for another workload (e.g. a copy of throughput.toml with a
# higher rate, so that the fixed costs weigh less).
scenario=${SCENARIO:-bench/throughput.toml}
work="$MLOBS_DATA/bench-e2e"
mkdir -p "$work/baselines"
run="bench-$(date +%s)"
export MLOBS_KAFKA_PARTITIONS=4 MLOBS_WINDOWS_SIZE_MS=300000 MLOBS_WINDOWS_ALLOWED_LATENESS_MS=1800000
export MLOBS_RUNTIME_CHECKPOINT_INTERVAL_MS=1000 MLOBS_RUNTIME_IDLE_AFTER_MS=1000 MLOBS_RUNTIME_FLUSH_AFTER_MS=2000
export MLOBS_BASELINES_DIR="$work/baselines"
topics() {
    for t in predictions labels dlq partials changelog window_metrics alerts alert_state; do
        export "MLOBS_KAFKA_TOPICS_$(echo $t | tr a-z A-Z)=$run-$1.$t"
    done
    export MLOBS_KAFKA_GROUPS_JOIN="$run-$1-join" MLOBS_KAFKA_GROUPS_EVALUATE="$run-$1-evaluate"
}
now() { date +%s.%N; }
# CPU seconds (user + system) a process has used so far.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
broker=$(our_pid kafka) || die "the broker is not running: make up"
# share WALL CPU_BEFORE CPU_AFTER: the CPU used in WALL seconds, as a share of one core.
share() { python3 -c "print(f'{($3 - $2) / $1 * 100:.0f}% of a core')"; }

topics source
"$MLOBS" topics create >/dev/null
started=$(now)
"$MLOBS" simulate --scenario "$scenario" --truth "$work/truth.json" --baselines "$work/baselines" --format json >/dev/null
produced=$(now)
events=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print(sum(w["predictions"]+w["labeled"] for w in t))' "$work/truth.json")
windows=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/truth.json")
echo "produce: $events events in $(python3 -c "print(f'{$produced-$started:.1f}')") s = $(python3 -c "print(f'{$events/($produced-$started):.0f}')") events/s (simulator -> Kafka, one producer per stream, idempotent, acks=all)"
source_topics=("$MLOBS_KAFKA_TOPICS_PREDICTIONS" "$MLOBS_KAFKA_TOPICS_LABELS")
broker_before=$(cpu_of "$broker") read_started=$(now)
# Kafka's own consumer on both input topics; fetch.nMsg.sec leaves out its
# group join.
kafka_rate=$( (source infra/kafka/service.sh && kafka_java org.apache.kafka.tools.ConsumerPerformance \
    --bootstrap-server "127.0.0.1:$PORT" --include "^($run-source\\.predictions|$run-source\\.labels)\$" \
    --num-records "$events" --group "$run-perf" --timeout 60000 --hide-header) |
    awk -F', *' '{print $NF}')
echo "Kafka's own consumer (ConsumerPerformance): $events records at ${kafka_rate%.*} records/s (after its group join), broker $(share "$(python3 -c "print($(now) - $read_started)")" "$broker_before" "$(cpu_of "$broker")") (with the JVM's start)"
in_process=$(cargo bench -q -p mlobs-pipeline --bench runtime_on_topics)
echo "$in_process"
in_process_rate=$(sed -n 's/.* events at \([0-9]*\) events\/s.*/\1/p' <<<"$in_process")

# runs INSTANCES SINKS: consume the source topics with fresh groups.
runs() {
    local instances=$1 sinks=$2
    topics "run$instances-$sinks"
    export MLOBS_KAFKA_TOPICS_PREDICTIONS="${source_topics[0]}" MLOBS_KAFKA_TOPICS_LABELS="${source_topics[1]}"
    if [ "$sinks" = on ]; then
        export MLOBS_CLICKHOUSE_URL=http://127.0.0.1:8123 MLOBS_CLICKHOUSE_DATABASE="bench_e2e_$$" MLOBS_METRICS_LISTEN=127.0.0.1:0
    else
        export MLOBS_CLICKHOUSE_URL="" MLOBS_METRICS_LISTEN=""
    fi
    "$MLOBS" topics create >/dev/null
    # Built before the clock starts; it notes when the input is all committed.
    cargo bench -q -p mlobs-pipeline --bench runtime_on_topics --no-run 2>/dev/null
    cargo bench -q -p mlobs-pipeline --bench runtime_on_topics -- --until-committed >"$work/committed" &
    committed_watch=$!
    pids=()
    broker_before=$(cpu_of "$broker")
    started=$(now)
    for i in $(seq "$instances"); do
        # Each instance its own identity in the groups (kafka.instance_id).
        MLOBS_KAFKA_INSTANCE_ID="$run-$instances-$sinks-$i" \
            "$MLOBS" run >"$work/run$instances-$sinks-$i.log" 2>&1 &
        pids+=($!)
    done
    ready() {
        local complete
        complete=$("$MLOBS" windows --format json | python3 -c 'import json,sys; print(sum(1 for w in json.load(sys.stdin) if w["complete"]))')
        [ "$complete" -ge "$windows" ]
    }
    wait_until 600 ready || die "run with $instances instance(s), sinks $sinks, did not finish; see $work"
    finished=$(now)
    wait "$committed_watch"
    broker_after=$(cpu_of "$broker")
    pipeline_cpu=0 peak_rss=""
    for pid in "${pids[@]}"; do
        pipeline_cpu=$(python3 -c "print($pipeline_cpu + $(cpu_of "$pid"))")
        peak_rss="$peak_rss $(awk '/VmHWM/ {print int($2 / 1024) " MB"}' "/proc/$pid/status")"
    done
    kill -TERM "${pids[@]}"
    wait "${pids[@]}" 2>/dev/null || true
    seconds=$(python3 -c "print(f'{$finished-$started:.1f}')")
    echo "pipeline, $instances instance(s), sinks $sinks: $events events in $seconds s = $(python3 -c "print(f'{$events/($finished-$started):.0f}')") events/s (includes group join and the 2 s idle flush)"
    echo "  broker CPU $(share "$seconds" "$broker_before" "$broker_after"), mlobs CPU $(share "$seconds" 0 "$pipeline_cpu") (every instance since its start), peak RSS per instance:$peak_rss"
    echo "  $(cargo bench -q -p mlobs-pipeline --bench runtime_on_topics -- --written)"
    # From the first partition processed (after the group join) to the
    # input all committed: the processing rate, beside the in-process rate;
    # then to the last window complete (the idle flush and stage 2).
    python3 - "$events" "$finished" "$(cat "$work/committed")" "$in_process_rate" "$work"/run"$instances-$sinks"-*.log <<'PY'
import datetime, re, sys
events, finished, committed, in_process, logs = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5:]
stamps = [datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
          for log in logs for line in open(log)
          if "processing the partition" in line and (m := re.match(r"(\S+Z)", line))]
first = min(stamps)
rate = events / (committed - first)
print(f"  processing: {events} events in {committed - first:.1f} s = {rate:.0f} events/s, {rate / in_process:.0%} of the runtime in process; the last window {finished - committed:.1f} s after the last commit")
PY
}
runs 1 off
runs 1 on
runs 2 on
curl -fsS http://127.0.0.1:8123/ --data-binary "DROP DATABASE IF EXISTS bench_e2e_$$" >/dev/null
# The broker keeps what it is given: this run's topics go.
(source infra/kafka/service.sh && kafka_java org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "127.0.0.1:$PORT" --delete --topic "$run-.*" >/dev/null)
