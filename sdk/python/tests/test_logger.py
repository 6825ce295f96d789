"""The loggers never block the caller: a full queue drops and counts; a
shutdown gives up after its timeout; privacy mode needs its key. (The
broker is unreachable here on purpose; cli/tests/python_sdk.rs sends to a
live pipeline.)"""

import pytest

from mlobs import LabelLogger, PredictionLogger

NOWHERE = "127.0.0.1:9"  # the discard port: nothing listens


def test_a_full_queue_drops_and_counts_instead_of_waiting():
    logger = PredictionLogger(NOWHERE, "t", queue_capacity=5, librdkafka={"message.timeout.ms": 1000})
    accepted = [logger.log(f"p{i}", "m", "1", "yes", {"x": float(i)}, event_time=i) for i in range(200)]
    stats = logger.stats()
    assert stats.queued + stats.dropped == 200
    assert accepted.count(True) == stats.queued and stats.dropped > 0
    closed = logger.close(timeout=2)
    assert closed.delivered == 0
    with pytest.raises(RuntimeError, match="closed"):
        logger.log("late", "m", "1", "yes", {})


def test_labels_that_cannot_be_delivered_fail_with_a_reason():
    labels = LabelLogger(NOWHERE, "t", librdkafka={"message.timeout.ms": 500})
    assert labels.log("p", "yes", event_time=1)
    stats = labels.close(timeout=5)
    assert stats.failed == 1 and "timed out" in stats.last_failure.lower(), stats


def test_privacy_mode_needs_a_key(monkeypatch):
    monkeypatch.delenv("MLOBS_PRIVACY_HASH_KEY", raising=False)
    with pytest.raises(ValueError, match="privacy mode needs a hash key"):
        PredictionLogger(NOWHERE, "t", privacy_mode=True)
    monkeypatch.setenv("MLOBS_PRIVACY_HASH_KEY", "k")
    PredictionLogger(NOWHERE, "t", privacy_mode=True).close(timeout=0)
