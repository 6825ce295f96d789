"""The records mlobs reads, built from what serving code has at hand.

Each function checks its arguments the way the pipeline would (a wrong type
is a ``TypeError`` or ``ValueError`` naming the field and what to pass, raised
in the serving code's own call, not lost in the background), and returns the
dict fastavro encodes. Features are written with their names in sorted
order, as the Rust encoder writes them, so that the same event has the same
bytes (and the same privacy hash) whichever SDK wrote it.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Dict, Mapping, Optional, Tuple, Union

FeatureValue = Union[float, int, str, None]
Outcome = Union[str, float, int]
EventTime = Union[int, datetime, None]


def now_ms() -> int:
    """The wall clock in milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


def event_time_ms(value: EventTime) -> int:
    """Milliseconds since the epoch: ``value`` itself (an int), a timezone-aware
    ``datetime``, or now when ``None``."""
    if value is None:
        return now_ms()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("event_time: pass a timezone-aware datetime (e.g. datetime.now(timezone.utc))")
        return int(value.timestamp() * 1000)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"event_time: expected milliseconds since the epoch (int) or a datetime, got {value!r}")
    return value


def _outcome(field: str, value: Outcome) -> Outcome:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"{field}: expected a class label (str) or a number, got {value!r}")


def _feature(name: str, value: FeatureValue) -> Optional[Union[float, str]]:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # NaN and infinities travel as doubles; the pipeline counts them missing.
        return float(value)
    raise TypeError(f"feature {name!r}: expected a number, a string or None (missing), got {value!r}")


def _optional_number(field: str, value: Optional[float]) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{field}: expected a number or None, got {value!r}")
    return float(value)


def features_record(features: Mapping[str, FeatureValue]) -> Dict[str, Optional[Union[float, str]]]:
    """The features map as written: names sorted, numbers as doubles."""
    if not isinstance(features, Mapping):
        raise TypeError(f"features: expected a mapping of feature name to value, got {type(features).__name__}")
    return {str(name): _feature(str(name), features[name]) for name in sorted(features, key=str)}


def prediction_event(
    prediction_id: str,
    model: str,
    version: str,
    prediction: Outcome,
    features: Mapping[str, FeatureValue],
    *,
    environment: str = "production",
    event_time: EventTime = None,
    confidence: Optional[float] = None,
    class_probabilities: Optional[Mapping[str, float]] = None,
    latency_ms: float = 0.0,
    resources: Optional[Mapping[str, Optional[float]]] = None,
    error: Optional[Tuple[str, str]] = None,
    features_hash: Optional[str] = None,
    request_id: Optional[str] = None,
    trace_id: Optional[str] = None,
) -> Dict[str, Any]:
    """A ``PredictionEvent`` record (schemas/prediction_event.avsc).

    ``prediction`` is a class label (str) or a regression value (number);
    ``confidence`` the probability of the predicted class; ``error`` a
    ``(type, message)`` pair for a failed inference (its ``prediction`` is a
    placeholder, conventionally ``""``); ``resources`` any of ``cpu_time_ms``,
    ``gpu_memory_mb``, ``gpu_utilization``.
    """
    for field, value in (("prediction_id", prediction_id), ("model", model), ("version", version), ("environment", environment)):
        if not isinstance(value, str) or (field != "environment" and not value):
            raise ValueError(f"{field}: expected a non-empty string, got {value!r}")
    known = {"cpu_time_ms", "gpu_memory_mb", "gpu_utilization"}
    if resources is not None and not set(resources) <= known:
        raise ValueError(f"resources: unknown keys {sorted(set(resources) - known)}; use {sorted(known)}")
    if error is not None and (len(error) != 2 or not all(isinstance(e, str) for e in error)):
        raise ValueError(f"error: expected a (type, message) pair of strings, got {error!r}")
    return {
        "prediction_id": prediction_id,
        "model": model,
        "version": version,
        "environment": environment,
        "event_time": event_time_ms(event_time),
        "features": features_record(features),
        "features_hash": features_hash,
        "prediction": _outcome("prediction", prediction),
        "confidence": _optional_number("confidence", confidence),
        "class_probabilities": None
        if class_probabilities is None
        else {str(k): float(class_probabilities[k]) for k in sorted(class_probabilities, key=str)},
        "latency_ms": float(_optional_number("latency_ms", latency_ms) or 0.0),
        "resources": None
        if resources is None
        else {k: _optional_number(f"resources.{k}", resources.get(k)) for k in ("cpu_time_ms", "gpu_memory_mb", "gpu_utilization")},
        "error": None if error is None else {"type": error[0], "message": error[1]},
        "request_id": request_id,
        "trace_id": trace_id,
    }


def ground_truth_event(
    prediction_id: str,
    label: Outcome,
    *,
    event_time: EventTime = None,
    source: str = "",
) -> Dict[str, Any]:
    """A ``GroundTruthEvent`` record (schemas/ground_truth_event.avsc): the
    true outcome of the prediction ``prediction_id``, known at
    ``event_time`` (the window its accuracy counts in)."""
    if not isinstance(prediction_id, str) or not prediction_id:
        raise ValueError(f"prediction_id: expected a non-empty string, got {prediction_id!r}")
    return {
        "prediction_id": prediction_id,
        "event_time": event_time_ms(event_time),
        "label": _outcome("label", label),
        "source": source,
    }
