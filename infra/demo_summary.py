"""`make demo`'s closing numbers: accuracy per version, before and after the
injected change, as the pipeline wrote it to ClickHouse and as the simulator
says it was (its truth file). Usage: demo_summary.py DATABASE TRUTH.json
INJECTED_AT (RFC 3339)."""

import json
import sys
import urllib.request
from datetime import datetime

database, truth_path, injected = sys.argv[1:4]
injected_ms = int(datetime.fromisoformat(injected.replace("Z", "+00:00")).timestamp() * 1000)


def clickhouse(sql):
    request = urllib.request.Request("http://127.0.0.1:8123/", data=sql.encode())
    with urllib.request.urlopen(request, timeout=10) as answer:
        return [json.loads(line) for line in answer.read().decode().splitlines() if line]


def phase(start_ms):
    return "before" if start_ms < injected_ms else "after"


pipeline = {}
for row in clickhouse(
    f"SELECT version, window_start_ms AS s, labeled AS l, correct AS c FROM {database}.window_metrics FINAL "
    "WHERE model = 'churn' AND complete = 1 FORMAT JSONEachRow"
):
    key = (row["version"], phase(int(row["s"])))
    labeled, correct = pipeline.get(key, (0, 0))
    pipeline[key] = (labeled + int(row["l"]), correct + int(row["c"]))

truth = {}
for window in json.load(open(truth_path)):
    start = int(datetime.fromisoformat(window["window_start"].replace("Z", "+00:00")).timestamp() * 1000)
    key = (window["version"], phase(start))
    labeled, correct = truth.get(key, (0, 0))
    truth[key] = (labeled + window["labeled"], correct + window["correct"])

print(f"{'version':<9}{'windows':<26}{'labeled':>9}{'pipeline':>10}{'truth':>8}")
for version, when in sorted(pipeline, key=lambda k: (int(k[0]), k[1] == "after")):
    labeled, correct = pipeline[(version, when)]
    true_labeled, true_correct = truth.get((version, when), (0, 0))
    if labeled == 0:
        continue
    span = f"{when} the change ({injected[11:16]})"
    true_accuracy = f"{100 * true_correct / true_labeled:.1f}%" if true_labeled else "-"
    print(f"{version:<9}{span:<26}{labeled:>9}{100 * correct / labeled:>9.1f}%{true_accuracy:>8}")
