#!/usr/bin/env bash
# `make demo`: the seed's section 7 on the local stack. Churn version 2 is
# champion, version 1 (fewer features) is registered too; monthly_charges
# changes unit upstream at 10:00 of event time; the pipeline detects it, the
# agent diagnoses it, rolls back (Option A) and retrains (Option B) under
# the demo's approval policy, and verifies that accuracy is back. The
# terminal shows the timeline as it happens (`mlobs agent timeline
# --follow`); every number comes from the run. Ends with `mlobs report`.
#
# Each run has topics of its own (the previous demo's are deleted) and
# starts from an empty registry (MLflow numbers versions from 1 per model,
# and the story has versions 1 and 2), and keeps its history in a
# ClickHouse database of its own. Its config is written
# to .mlobs-data/demo/mlobs.toml for exploring afterwards:
#   target/debug/mlobs --config .mlobs-data/demo/mlobs.toml agent incidents
# The stack, the pipeline and the agent keep running afterwards (Prometheus
# scrapes the pipeline on 127.0.0.1:9464); `make down` stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/lib.sh
MLOBS="$REPO_DIR/target/debug/mlobs"
# On a fresh machine the stack's installs (Kafka's jars, MLflow, ClickHouse,
# Prometheus: mostly downloads) and building mlobs (both cores) each take
# minutes: they run side by side. The build is the tests' profile (dev), so
# a `make test` afterwards reuses it.
say "starting the stack in the background (log: $MLOBS_DATA/stack-up.log) while mlobs builds"
"$INFRA_DIR/stack.sh" up >"$MLOBS_DATA/stack-up.log" 2>&1 &
stack=$!
cargo build -j"${JOBS:-2}" -p mlobs-cli --bin mlobs
wait "$stack" || { tail -20 "$MLOBS_DATA/stack-up.log" >&2; die "the stack did not start; see $MLOBS_DATA/stack-up.log"; }
demo="$MLOBS_DATA/demo"
run="demo-$(date +%Y%m%d-%H%M%S)"
database="mlobs_${run//-/_}"
rm -rf "$demo/report" "$demo/truth.json"
mkdir -p "$demo"
cat >"$demo/mlobs.toml" <<TOML
# Written by infra/demo.sh for run $run.
[kafka]
partitions = 3
# The scenario's events are stamped January 2026; retention counts from the
# record timestamp, so it must reach back that far.
retention_ms = 315360000000
[kafka.topics]
predictions = "$run.predictions"
labels = "$run.labels"
dlq = "$run.dlq"
partials = "$run.partials"
changelog = "$run.changelog"
window_metrics = "$run.window-metrics"
alerts = "$run.alerts"
alert_state = "$run.alert-state"
incidents = "$run.incidents"
agent_actions = "$run.agent-actions"
[kafka.groups]
join = "$run-join"
evaluate = "$run-evaluate"
agent = "$run-agent"
[clickhouse]
database = "$database"
[windows]
size_ms = 600000
# Labels come up to 20 minutes after their prediction; the scenario runs
# event time 100x faster than the wall clock, so lateness also covers the
# wall-clock idleness below.
allowed_lateness_ms = 1500000
[runtime]
checkpoint_interval_ms = 1000
idle_after_ms = 2000
flush_after_ms = 5000
[baselines]
source = "mlflow"
[mlflow]
models = ["churn"]
refresh_ms = 1000
cache_dir = "$demo/baseline-cache"
[alerts.defaults]
# The accuracy objective: version 2 holds about 96% before the change.
min_accuracy = 0.94
[agent]
# simulation.toml: auto = ["rollback", "retrain"] (the scenario's events
# carry environment "simulation").
policy_dir = "$REPO_DIR/infra/agent/policies"
verify_windows = 6
[retrain]
# Production rows since the change; the newest 30% judge the new version
# against the champion, which by then is version 1 (about a point behind):
# promote when at least half a point better, significantly.
holdout_share = 0.3
margin = 0.005
significance = 0.05
TOML
export MLOBS_CONFIG="$demo/mlobs.toml"
# A previous demo's processes stop first (they hold the metrics ports and
# read the topics and the registry that go next).
stop_service demo-agent
stop_service demo
"$INFRA_DIR/stack.sh" reset mlflow
(source "$INFRA_DIR/kafka/service.sh" && kafka_java org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "127.0.0.1:$PORT" --delete --if-exists --topic 'demo-.*' >/dev/null)
"$MLOBS" topics create >/dev/null
"$MLOBS" clickhouse migrate >/dev/null

cat <<EOF

== mlobs demo: the seed's section 7, on the real stack (Kafka, ClickHouse, Prometheus, MLflow)
   churn version 2 is champion; version 1, trained without monthly_charges, is registered too.
   At 10:00 of event time monthly_charges arrives in another unit (x1.8), and nobody tells the model.
   Approval policy of this demo (infra/agent/policies/simulation.toml): auto = ["rollback", "retrain"]:
   the agent carries out both options without waiting for a person. In production a person approves
   (mlobs agent approve ACTION_ID); see infra/agent/policies/production.toml.
   3 hours of event time play in about 2 minutes. Timeline (event time, then what happened):

EOF
start_service demo 9464 60 "http_ok http://127.0.0.1:9464/healthz" -- "$MLOBS" run
start_service demo-agent 9467 60 "http_ok http://127.0.0.1:9467/healthz" -- "$MLOBS" agent run
"$MLOBS" simulate --register --scenario scenarios/section7.toml --truth "$demo/truth.json" \
    >"$demo/simulate.log" 2>&1 &
simulator=$!
"$MLOBS" agent timeline --model churn --follow --until-closed --timeout-s 420
wait "$simulator" || die "the simulator failed; see $demo/simulate.log"

# Every window in ClickHouse, then the numbers beside the simulator's truth.
expected=$(python3 -c 'import json,sys; print(len({w["window_start"] for w in json.load(open(sys.argv[1]))}))' "$demo/truth.json")
history_ready() {
    local rows
    rows=$(curl -fsS --max-time 5 http://127.0.0.1:8123/ --data-binary \
        "SELECT uniqExact(window_start_ms) FROM $database.window_metrics FINAL WHERE model = 'churn' AND complete = 1")
    [ "$rows" -ge "$expected" ]
}
wait_until 120 history_ready || die "ClickHouse did not get every window in 2 minutes; see $MLOBS_DATA/demo/demo.log"
echo
echo "== accuracy per phase: the pipeline (ClickHouse) beside the simulator's truth"
python3 infra/demo_summary.py "$database" "$demo/truth.json" 2026-01-05T10:00:00Z
read -r since until < <(python3 -c '
import json, sys
w = json.load(open(sys.argv[1]))
print(min(x["window_start"] for x in w), max(x["window_end"] for x in w))' "$demo/truth.json")
echo
echo "== report: charts of the demo's event time ($since to $until) from ClickHouse"
"$MLOBS" report --model churn --since "$since" --until "$until" --output "$demo/report" \
    --mark "2026-01-05T10:00:00Z=monthly_charges x1.8 injected"
cat <<EOF

== where to look (the stack, the pipeline and the agent keep running; 'make down' stops them)
Report (open in a browser): $demo/report/report.html
Grafana: import the dashboards of infra/grafana (README, "Grafana dashboards": three steps)
Prometheus: http://127.0.0.1:9090/graph?g0.expr=model_accuracy&g0.tab=1
  model_accuracy, model_feature_drifted == 1, mlobs_agent_actions_total, mlobs_agent_incidents_total
ClickHouse (database $database):
  clickhouse-client --query "SELECT window_start, version, labeled, round(accuracy, 3) AS accuracy FROM $database.window_metrics FINAL WHERE model = 'churn' ORDER BY window_start, version FORMAT PrettyCompact"
  clickhouse-client --query "SELECT action_id, action, status, result FROM $database.agent_actions FINAL ORDER BY updated_ms FORMAT PrettyCompact"
  clickhouse-client --query "SELECT event_time, action, version, previous_version, actor FROM $database.registry_events ORDER BY event_time_ms FORMAT PrettyCompact"
The incident:     $MLOBS --config $demo/mlobs.toml agent incidents --format json
The registry:     $MLOBS --config $demo/mlobs.toml model show churn   (MLflow UI: http://127.0.0.1:5000/#/models/churn)
EOF
