#!/usr/bin/env bash
# `mlobs drift` on CSV pairs, beside the floor and the peers on the same
# files:
# - a 1,000,000 x 22 pair (20 numeric, 2 categorical columns; 179 MB each):
#   mlobs (median of 3 runs; then on the same pair as Parquet), the floor
#   (reading the bytes and splitting fields, cli/examples/csv_floor.rs),
#   then Evidently's DataDriftPreset,
#   NannyML's UnivariateDriftCalculator (KS and Jensen-Shannon) and a
#   whylogs profile with its drift scores (bench/peers.py), once each;
# - a 100,000 x 1,000 numeric pair (about 1 GB each): mlobs only.
# Peak memory is /usr/bin/time's maximum resident set. The bound the issue
# sets is twice the numeric data: 8 bytes x rows x numeric columns x 2 files
# x 2. Inputs are generated once and cached under ~/.cache/mlobs/bench-data.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/lib.sh
python=$(infra/pyref/install.sh)
data="$MLOBS_CACHE/bench-data"
mkdir -p "$data"
cargo build --release --quiet -p mlobs-cli --example csv_floor

# pair ROWS NUMERIC CATEGORICAL: generates the pair once; prints its two paths.
pair() {
    local reference="$data/reference-$1x$(($2 + $3)).csv" current="$data/current-$1x$(($2 + $3)).csv"
    if [ ! -f "$current" ]; then
        say "generating the $1 x $(($2 + $3)) benchmark CSVs in $data (once)"
        "$python" bench/generate_drift_data.py "$1" "$2" "$3" "$reference.tmp" "$current.tmp"
        mv "$reference.tmp" "$reference"
        mv "$current.tmp" "$current"
    fi
    echo "$reference $current"
}

# parquet_of CSV: the file's Parquet twin (pyarrow, snappy), written once
# beside it; prints its path.
parquet_of() {
    local parquet="${1%.csv}.parquet"
    if [ ! -f "$parquet" ]; then
        "$python" -c "import sys, pandas as pd; pd.read_csv(sys.argv[1]).to_parquet(sys.argv[2])" "$1" "$parquet.tmp"
        mv "$parquet.tmp" "$parquet"
    fi
    echo "$parquet"
}

# timed LABEL COMMAND...: runs it once; sets $wall (s) and $rss (MB).
timed() {
    local label=$1
    shift
    /usr/bin/time -f "%e %M" -o "$data/time.txt" "$@" >"$data/out.txt" 2>"$data/err.txt" ||
        { cat "$data/err.txt" >&2; return 1; }
    read -r wall rss <"$data/time.txt"
    rss=$((rss / 1024))
    echo "$label: ${wall} s wall, ${rss} MB peak RSS" >&2
}

# mlobs_median LABEL REFERENCE CURRENT: three runs; sets $median and $rss.
mlobs_median() {
    local walls=()
    for run in 1 2 3; do
        timed "mlobs drift run $run" target/release/mlobs drift --reference "$2" --current "$3" --format json
        walls+=("$wall")
    done
    median=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 2p)
    drifted=$("$python" -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['drifted_features'], 'of', len(r['features']))" "$data/out.txt")
    echo "$1: median ${median} s wall of 3 runs, ${rss} MB peak RSS; ${drifted} features drifted"
}

read -r reference current < <(pair 1000000 20 2)
mlobs_median "mlobs drift 1M x 22" "$reference" "$current"
mlobs_wall=$median mlobs_rss=$rss mlobs_drifted=$drifted
bound=$((8 * 1000000 * 20 * 2 * 2 / 1000000))
echo "memory bound (2 x the numeric data): ${bound} MB; mlobs used ${mlobs_rss} MB"
floor=$(target/release/examples/csv_floor "$reference" "$current")
echo "$floor"
floor_s=$(echo "$floor" | awk '{print $3}')
echo "mlobs is $("$python" -c "print(round($mlobs_wall / $floor_s, 1))")x the floor"
mlobs_median "mlobs drift 1M x 22 as Parquet" "$(parquet_of "$reference")" "$(parquet_of "$current")"

rows=("| tool | version | wall (s) | peak RSS (MB) | features drifted |" "|---|---|---|---|---|")
rows+=("| mlobs drift | $(target/release/mlobs --version | awk '{print $2}') | $mlobs_wall | $mlobs_rss | $mlobs_drifted |")
for peer in evidently nannyml whylogs; do
    timed "$peer" "$python" bench/peers.py "$peer" "$reference" "$current"
    version=$("$python" -c "import importlib.metadata as m; print(m.version('$peer'))")
    rows+=("| $peer | $version | $wall | $rss | $(tail -1 "$data/out.txt") of 22 |")
    [ "$peer" = evidently ] && evidently_wall=$wall
done
echo "mlobs drift is $("$python" -c "print(round($evidently_wall / $mlobs_wall))")x faster than Evidently in this run"
echo
echo "1,000,000 x 22 CSV pair (179 MB each), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB:"
printf '%s\n' "${rows[@]}"
echo

read -r reference current < <(pair 100000 1000 0)
mlobs_median "mlobs drift 100k x 1,000" "$reference" "$current"
echo "memory bound (2 x the numeric data): $((8 * 100000 * 1000 * 2 * 2 / 1000000)) MB; mlobs used ${rss} MB"
