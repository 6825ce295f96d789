"""Sends a workload through the SDK, as a model server would, for
cli/tests/python_sdk.rs: predictions of a classifier (some features missing,
some inferences failed, a tenth logged in privacy mode) and of a regression
model, and the labels of most of them minutes later, in event-time order.
Writes what was sent per (model, version, window) with the pipeline's
attribution (the simulator's truth format) and prints the loggers' stats.

Usage: send_workload.py BROKERS PREDICTIONS_TOPIC LABELS_TOPIC N WINDOW_MS TRUTH.json
(privacy mode reads its key from MLOBS_PRIVACY_HASH_KEY)
"""

import json
import random
import sys
from collections import defaultdict
from datetime import datetime, timezone

from mlobs import LabelLogger, PredictionLogger

brokers, predictions_topic, labels_topic, n, window_ms, truth_path = sys.argv[1:7]
n, window_ms = int(n), int(window_ms)
START = 1_767_600_000_000  # 2026-01-05T08:00:00Z
rng = random.Random(16)

plain = PredictionLogger(brokers, predictions_topic, queue_capacity=n)
private = PredictionLogger(brokers, predictions_topic, queue_capacity=n, privacy_mode=True)
labels = LabelLogger(brokers, labels_topic, queue_capacity=n)

# (model, version, window start) -> [predictions, labeled, correct]
truth = defaultdict(lambda: [0, 0, 0])


def window(t):
    return t - t % window_ms


events = []  # (event time, order, kind, arguments)
for i in range(n):
    t = START + i * 1000 + rng.randrange(1000)
    pid = f"sdk-{i}"
    if i % 7 == 0:
        model, version = "ltv", "2"
        prediction, truth_value = rng.gauss(100, 30), rng.gauss(100, 30)
        features = {"spend_90d": rng.uniform(0, 500), "country": rng.choice(["fr", "de", "ès"])}
        kwargs = {"latency_ms": rng.uniform(1, 9)}
    else:
        model, version = "churn", "1" if i % 2 else "2"
        p = rng.random()
        prediction = "churn" if p >= 0.5 else "stay"
        truth_value = prediction if rng.random() < 0.85 else ("stay" if prediction == "churn" else "churn")
        features = {
            "tenure_months": rng.uniform(0, 72),
            "monthly_charges": None if i % 5 == 0 else rng.gauss(70, 20),
            "plan": rng.choice(["basic", "pro", None]),
        }
        if i % 13 == 0:
            del features["tenure_months"]
        kwargs = {
            "confidence": max(p, 1 - p),
            "class_probabilities": {"churn": p, "stay": 1 - p},
            "latency_ms": rng.uniform(5, 40),
            "resources": {"cpu_time_ms": rng.uniform(1, 5)},
        }
    failed = i % 97 == 0
    if failed:
        prediction, kwargs["error"] = "", ("gpu_oom", "CUDA out of memory")
        kwargs.pop("confidence", None)
    logger = private if i % 10 == 3 else plain
    args = (pid, model, version, prediction, features)
    event_time = t if i % 2 else datetime.fromtimestamp(t / 1000, timezone.utc)
    events.append((t, i, "prediction", (logger, args, dict(kwargs, event_time=event_time))))
    truth[(model, version, window(t))][0] += 1
    if not failed and rng.random() < 0.9:
        label_time = t + rng.randrange(60_000, 300_000)
        events.append((label_time, i, "label", (pid, truth_value, label_time)))
        counts = truth[(model, version, window(label_time))]
        counts[1] += 1
        counts[2] += int(isinstance(prediction, str) and prediction == truth_value)

# Two prediction loggers write the same partitions, as two servers would. In
# real time their records interleave within moments of event time; here
# hours of event time are sent in about a second, and a logger's background
# thread can fall a second (hours of event time) behind the other's, far
# beyond the pipeline's allowed lateness. Flushing every logger at each
# minute of event time keeps the interleaving as real servers would have it.
minute = None
for event_time_ms, _, kind, payload in sorted(events, key=lambda e: (e[0], e[1])):
    if minute != event_time_ms // 60_000:
        minute = event_time_ms // 60_000
        for logger in (plain, private, labels):
            logger.flush()
    if kind == "prediction":
        logger, args, kwargs = payload
        assert logger.log(*args, **kwargs), "queued"
    else:
        pid, value, label_time = payload
        assert labels.log(pid, value, event_time=label_time, source="sdk-test"), "queued"

stats = {name: vars(logger.close(60)) for name, logger in (("plain", plain), ("private", private), ("labels", labels))}
iso = lambda ms: datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
windows = [
    {"model": m, "version": v, "window_start": iso(w), "window_end": iso(w + window_ms),
     "predictions": c[0], "labeled": c[1], "correct": c[2]}
    for (m, v, w), c in sorted(truth.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1]))
]
with open(truth_path, "w") as out:
    json.dump(windows, out)
print(json.dumps(stats))
