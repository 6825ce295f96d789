#!/usr/bin/env bash
# `make demo`: plays scenarios/drift.toml through the real pipeline on the
# local stack and prints the window results, where the accuracy drop and the
# drifted feature show. Each run starts from an empty broker (tansu keeps
# records forever unless told otherwise, and its DeleteTopics deletes every
# topic, so a reset is how the local broker stays bounded) and uses topics of
# its own (named after the time); its config is written to
# .mlobs-data/demo/mlobs.toml for exploring afterwards:
#   target/release/mlobs --config .mlobs-data/demo/mlobs.toml windows
# The stack and the pipeline keep running afterwards (Prometheus scrapes the
# pipeline on 127.0.0.1:9464; the history is in ClickHouse's `mlobs`
# database); `make down` stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/lib.sh
MLOBS="$REPO_DIR/target/release/mlobs"
demo="$MLOBS_DATA/demo"
run="demo-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$demo/baselines"
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
claims = "$run.claims"
[kafka.groups]
join = "$run-join"
evaluate = "$run-evaluate"
[windows]
size_ms = 600000
# The scenario runs event time 900x faster than the wall clock: lateness
# must cover the wall-clock idleness below in event time.
allowed_lateness_ms = 1800000
[runtime]
checkpoint_interval_ms = 1000
idle_after_ms = 2000
flush_after_ms = 5000
[baselines]
dir = "$demo/baselines"
TOML
export MLOBS_CONFIG="$demo/mlobs.toml"
# A previous demo's pipeline stops first (it holds the metrics port and
# reads the broker that is reset next).
stop_service demo
"$INFRA_DIR/stack.sh" reset kafka
"$MLOBS" topics create >/dev/null
echo "== playing scenarios/drift.toml (2h30m of event time in about 10 s)"
"$MLOBS" simulate --scenario scenarios/drift.toml --truth "$demo/truth.json" --baselines "$demo/baselines"
# The pipeline reads baselines when it starts, so it starts once the
# simulator has written them; the events wait in Kafka meanwhile.
echo "== starting the pipeline (log: $demo/demo.log)"
start_service demo 9464 60 "http_ok http://127.0.0.1:9464/healthz" -- "$MLOBS" run
expected=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$demo/truth.json")
echo "== waiting for the pipeline to close every window ($expected windows)"
windows_ready() {
    local complete
    complete=$("$MLOBS" windows --format json |
        python3 -c 'import json,sys; print(sum(1 for w in json.load(sys.stdin) if w["complete"]))')
    [ "$complete" -ge "$expected" ]
}
wait_until 120 windows_ready || die "the pipeline did not finish in 2 minutes; see $demo/demo.log"
echo "== window results (accuracy falls from about 96% to about 88% after 10:00, when monthly_charges drifts)"
"$MLOBS" windows
echo
echo "== alerts (stage 2's rules fire on the second window after the change, 10:10)"
"$MLOBS" alerts
# The report reads ClickHouse, which the pipeline's sink fills a moment
# after the windows close: wait for every window there too.
read -r since until < <(python3 -c '
import json, sys
w = json.load(open(sys.argv[1]))
print(min(x["window_start"] for x in w), max(x["window_end"] for x in w))' "$demo/truth.json")
history_ready() {
    local rows
    rows=$(curl -fsS --max-time 5 http://127.0.0.1:8123/ --data-binary \
        "SELECT count() FROM mlobs.window_metrics FINAL WHERE model = 'churn' AND window_start >= parseDateTimeBestEffort('$since') AND window_start < parseDateTimeBestEffort('$until')")
    [ "$rows" -ge "$expected" ]
}
wait_until 60 history_ready || die "ClickHouse did not get every window in a minute; see $demo/demo.log"
echo
echo "== report: charts of the demo's event time ($since to $until) from ClickHouse"
"$MLOBS" report --model churn --since "$since" --until "$until" --output "$demo/report"
query=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' \
    'model_accuracy or model_feature_drifted == 1')
cat <<EOF

== where to look (the stack and the pipeline keep running; 'make down' stops them)
Prometheus: http://127.0.0.1:9090/graph?g0.expr=$query&g0.tab=1
  accuracy of the newest window per version:  model_accuracy
  features drifted in the newest window:      model_feature_drifted == 1
  accuracy over everything labeled so far:
    sum by (version) (model_predictions_correct_total) / sum by (version) (model_predictions_labeled_total)
ClickHouse, the latest windows and the drifted features:
  clickhouse-client --query "SELECT model, version, window_start, predictions, labeled, round(accuracy, 3) AS accuracy, share_drifted FROM mlobs.window_metrics FINAL ORDER BY window_start DESC, version LIMIT 10 FORMAT PrettyCompact"
  clickhouse-client --query "SELECT window_start, version, feature, method, round(score, 3) AS score, threshold FROM mlobs.feature_drift FINAL WHERE drifted = 1 ORDER BY window_start DESC LIMIT 10 FORMAT PrettyCompact"
Window results from Kafka: $MLOBS --config $demo/mlobs.toml windows --format json
Alerts:                     $MLOBS --config $demo/mlobs.toml alerts --status firing
Report (open in a browser): $demo/report/report.html
EOF
