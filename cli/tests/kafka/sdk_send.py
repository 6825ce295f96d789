"""The Python SDK as a model server on a cluster with authentication, for
cli/tests/kafka_security.rs: logs N predictions of model `sdk-secure`
(event times one second apart from START) and their labels, with the
librdkafka settings given, and prints the loggers' counters as JSON.

Reads one JSON object on stdin: {"brokers", "predictions", "labels", "n",
"start_ms", "librdkafka": {...}}.
"""

import json
import sys

from mlobs import LabelLogger, PredictionLogger

request = json.load(sys.stdin)
settings = request["librdkafka"]
predictions = PredictionLogger(request["brokers"], request["predictions"], librdkafka=settings)
labels = LabelLogger(request["brokers"], request["labels"], librdkafka=settings)
for i in range(request["n"]):
    at = request["start_ms"] + i * 1000
    pid = f"sdk-secure-{i}"
    assert predictions.log(pid, "sdk-secure", "1", "stay", {"x": float(i)}, event_time=at, confidence=0.9)
    assert labels.log(pid, "stay", event_time=at + 500)
print(json.dumps({name: vars(logger.close(60)) for name, logger in (("predictions", predictions), ("labels", labels))}))
