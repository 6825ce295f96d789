#!/usr/bin/env bash
# Wall time and peak memory of `mlobs drift` on a 1,000,000-row x 50-column
# current CSV against a 1,000,000-row reference CSV (exact statistics).
# The inputs are generated once and cached under ~/.cache/mlobs/bench-data.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/lib.sh
ROWS=${ROWS:-1000000}
python=$(infra/pyref/install.sh)
data="$MLOBS_CACHE/bench-data"
mkdir -p "$data"
reference="$data/reference-$ROWS.csv"
current="$data/current-$ROWS.csv"
if [ ! -f "$current" ]; then
    say "generating $ROWS x 50 benchmark CSVs in $data (once)"
    "$python" bench/generate_drift_data.py "$ROWS" "$reference.tmp" "$current.tmp"
    mv "$reference.tmp" "$reference"
    mv "$current.tmp" "$current"
fi
walls=()
for run in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$data/time.txt" target/release/mlobs drift \
        --reference "$reference" --current "$current" --format json >"$data/report.json"
    read -r wall rss <"$data/time.txt"
    walls+=("$wall")
    echo "mlobs drift run $run: ${wall} s wall, $((rss / 1024)) MB peak RSS"
done
median=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 2p)
drifted=$("$python" -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['drifted_features'], 'of', len(r['features']))" "$data/report.json")
echo "mlobs drift ${ROWS} x 50 vs ${ROWS} x 50: median ${median} s wall of 3 runs; ${drifted} features drifted"
