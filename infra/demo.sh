#!/usr/bin/env bash
# `make demo`: plays scenarios/drift.toml through the real pipeline on the
# local stack and prints the window results, where the accuracy drop and the
# drifted feature show. Each run uses topics of its own (named after the
# time), so a second demo starts clean; its config is written to
# .mlobs-data/demo/mlobs.toml for exploring afterwards:
#   target/release/mlobs --config .mlobs-data/demo/mlobs.toml windows
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/lib.sh
MLOBS=target/release/mlobs
demo="$MLOBS_DATA/demo"
run="demo-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$demo/baselines"
cat >"$demo/mlobs.toml" <<TOML
# Written by infra/demo.sh for run $run.
[kafka]
partitions = 3
[kafka.topics]
predictions = "$run.predictions"
labels = "$run.labels"
dlq = "$run.dlq"
partials = "$run.partials"
changelog = "$run.changelog"
window_metrics = "$run.window-metrics"
alerts = "$run.alerts"
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
"$MLOBS" topics create >/dev/null
echo "== playing scenarios/drift.toml (2h30m of event time in about 10 s)"
"$MLOBS" simulate --scenario scenarios/drift.toml --truth "$demo/truth.json" --baselines "$demo/baselines"
# The pipeline reads baselines when it starts, so it starts once the
# simulator has written them; the events wait in Kafka meanwhile.
echo "== starting the pipeline (log: $demo/run.log)"
"$MLOBS" run >"$demo/run.log" 2>&1 &
pipeline=$!
trap 'kill -TERM $pipeline 2>/dev/null; wait $pipeline 2>/dev/null || true' EXIT
expected=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$demo/truth.json")
echo "== waiting for the pipeline to close every window ($expected windows)"
windows_ready() {
    local complete
    complete=$("$MLOBS" windows --format json |
        python3 -c 'import json,sys; print(sum(1 for w in json.load(sys.stdin) if w["complete"]))')
    [ "$complete" -ge "$expected" ]
}
wait_until 120 windows_ready || die "the pipeline did not finish in 2 minutes; see $demo/run.log"
echo "== window results (accuracy falls from about 96% to about 88% after 10:00, when monthly_charges drifts)"
"$MLOBS" windows
echo
echo "Explore this run: $MLOBS --config $demo/mlobs.toml windows --format json"
