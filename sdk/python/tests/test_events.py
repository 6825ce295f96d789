"""Records are built the way the pipeline reads them, and a wrong argument
is an error in the caller's own call that says what to pass."""

from datetime import datetime, timezone

import pytest

from mlobs import avro, ground_truth_event, prediction_event


def test_features_are_sorted_and_numbers_are_doubles():
    record = prediction_event("p", "m", "1", 3, {"b": 1, "a": None, "c": "x"}, event_time=5)
    assert list(record["features"]) == ["a", "b", "c"]
    assert record["features"]["b"] == 1.0 and isinstance(record["features"]["b"], float)
    assert record["prediction"] == 3.0 and isinstance(record["prediction"], float)
    assert avro.PREDICTION.decode(avro.PREDICTION.encode(record)) == record


def test_event_times_are_milliseconds_or_aware_datetimes():
    at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    assert ground_truth_event("p", "yes", event_time=at)["event_time"] == 1_767_603_600_000
    with pytest.raises(ValueError, match="timezone-aware"):
        ground_truth_event("p", "yes", event_time=datetime(2026, 1, 5))
    with pytest.raises(TypeError, match="milliseconds since the epoch"):
        ground_truth_event("p", "yes", event_time=1.5)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"prediction_id": ""}, "prediction_id: expected a non-empty string"),
        ({"prediction": [1]}, "prediction: expected a class label"),
        ({"features": {"x": [1, 2]}}, "feature 'x': expected a number, a string or None"),
        ({"features": ["x"]}, "features: expected a mapping"),
        ({"resources": {"gpu": 1.0}}, "resources: unknown keys"),
        ({"error": ("timeout",)}, "error: expected a (type, message) pair"),
        ({"confidence": "high"}, "confidence: expected a number"),
    ],
)
def test_a_wrong_argument_names_the_field(change, message):
    arguments = {"prediction_id": "p", "model": "m", "version": "1", "prediction": "yes", "features": {}}
    arguments.update(change)
    with pytest.raises((TypeError, ValueError)) as raised:
        prediction_event(**arguments)
    assert message in str(raised.value)


def test_a_record_of_another_schema_is_refused_with_its_fingerprint():
    label = avro.GROUND_TRUTH.encode(ground_truth_event("p", "yes", event_time=1))
    with pytest.raises(ValueError, match="written with schema fingerprint"):
        avro.PREDICTION.decode(label)
    with pytest.raises(ValueError, match="not an Avro single-object record"):
        avro.PREDICTION.decode(b"{}")
