"""The Python side of schemas/tests/python_sdk.rs (byte compatibility with
the Rust encoder, both ways). Reads on stdin the events the Rust test made,
each as serde JSON with the bytes Rust encoded it to and, for predictions,
the privacy hash Rust computed; prints, per event, the bytes this SDK
encodes the same event to, the bytes of the Rust record decoded and encoded
again, and the privacy hash it computes."""

import json
import sys

from mlobs import avro, features_hash, ground_truth_event, prediction_event


def outcome(value):
    """serde's {"String": s} / {"Double": x} as the SDK takes it."""
    (kind, inner), = value.items()
    return inner if kind == "String" else float(inner)


def features(serde):
    return {name: None if v is None else outcome(v) for name, v in serde.items()}


def prediction(e):
    return prediction_event(
        e["prediction_id"], e["model"], e["version"], outcome(e["prediction"]), features(e["features"]),
        environment=e["environment"], event_time=e["event_time"], confidence=e["confidence"],
        class_probabilities=e["class_probabilities"], latency_ms=e["latency_ms"], resources=e["resources"],
        error=None if e["error"] is None else (e["error"]["type"], e["error"]["message"]),
        features_hash=e["features_hash"], request_id=e["request_id"], trace_id=e["trace_id"],
    )


def label(e):
    return ground_truth_event(e["prediction_id"], outcome(e["label"]), event_time=e["event_time"], source=e["source"])


def side(items, build, schema, key=None):
    out = []
    for item in items:
        rust = bytes.fromhex(item["bytes"])
        answer = {
            "python": schema.encode(build(item["event"])).hex(),
            "reencoded": schema.encode(schema.decode(rust)).hex(),
        }
        if key is not None:
            answer["hash"] = features_hash(key, features(item["event"]["features"]))
        out.append(answer)
    return out


request = json.load(sys.stdin)
key = request["hash_key"].encode()
print(json.dumps({
    "predictions": side(request["predictions"], prediction, avro.PREDICTION, key),
    "labels": side(request["labels"], label, avro.GROUND_TRUTH),
}))
