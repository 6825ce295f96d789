"""PredictionLogger and LabelLogger: the one call serving code makes per
inference (or per label), as the Rust ``PredictionLogger`` behaves.

``log`` never blocks the request: it checks the arguments, puts the record
on a bounded queue and returns. A background thread applies privacy mode,
encodes and produces through librdkafka (confluent-kafka) in batches. When
the queue is full (the broker is slow or down) the record is dropped and
counted, never waited for. Records are keyed by ``prediction_id`` and
partitioned with murmur2 (the Java client's partitioner, which mlobs's own
producers use), so a prediction and its label land in the same partition;
the Kafka timestamp is the event time.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from confluent_kafka import KafkaError, Producer

from . import avro
from .events import EventTime, FeatureValue, Outcome, ground_truth_event, prediction_event
from .privacy import HASH_KEY_ENV, features_hash, hash_key


@dataclass
class LoggerStats:
    """Counters of a logger's life so far."""

    queued: int = 0
    """Records accepted into the queue."""
    dropped: int = 0
    """Records dropped because the queue was full."""
    delivered: int = 0
    """Records the broker acknowledged."""
    failed: int = 0
    """Records that failed to encode, or that the broker refused or timed out."""
    last_failure: Optional[str] = None
    """Why the most recent failed record failed."""

    @property
    def in_flight(self) -> int:
        """Accepted records that neither arrived nor failed yet."""
        return self.queued - self.delivered - self.failed


class _Logger:
    """The queue, the sending thread and the counters both loggers share."""

    def __init__(
        self,
        brokers: str,
        topic: str,
        queue_capacity: int,
        linger_ms: int,
        librdkafka: Optional[Mapping[str, str]],
        encode: Callable[[Dict[str, Any]], bytes],
    ) -> None:
        # As every mlobs producer (mlobs_schemas::kafka::producer_config in
        # Rust): the Java client's partitioner, idempotent with acks=all, at
        # most 5 requests in flight, and metadata refreshed every 10 s.
        settings = {
            "bootstrap.servers": brokers,
            "partitioner": "murmur2_random",
            "enable.idempotence": True,
            "acks": "all",
            "max.in.flight.requests.per.connection": 5,
            "topic.metadata.refresh.interval.ms": 10_000,
            "linger.ms": linger_ms,
            "queue.buffering.max.messages": max(queue_capacity, 1),
        }
        settings.update(librdkafka or {})
        self._producer = Producer(settings)
        self._topic = topic
        self._encode = encode
        self._queue: "queue.Queue[Dict[str, Any]]" = queue.Queue(maxsize=max(queue_capacity, 1))
        self._stats = LoggerStats()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._deadline = float("inf")
        self._thread = threading.Thread(target=self._run, name=f"mlobs-{topic}", daemon=True)
        self._thread.start()

    def _put(self, record: Dict[str, Any]) -> bool:
        if self._closing.is_set():
            raise RuntimeError("the logger is closed: log before close()")
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            with self._lock:
                self._stats.dropped += 1
            return False
        with self._lock:
            self._stats.queued += 1
        return True

    def stats(self) -> LoggerStats:
        """A copy of the counters."""
        with self._lock:
            return LoggerStats(**vars(self._stats))

    def flush(self, timeout: float = 30.0) -> LoggerStats:
        """Waits up to ``timeout`` seconds until every record queued so far
        is acknowledged (or failed); returns the counters."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stats = self.stats()
            if stats.in_flight == 0:
                return stats
            time.sleep(0.01)
        return self.stats()

    def close(self, timeout: float = 30.0) -> LoggerStats:
        """Sends what is queued, waiting at most ``timeout`` seconds for the
        broker, stops the thread and returns the final counters. Records
        still unsent then are abandoned (``in_flight``)."""
        self._deadline = time.monotonic() + timeout
        self._closing.set()
        self._thread.join(max(timeout, 0.0) + 1.0)
        return self.stats()

    def __enter__(self) -> "_Logger":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            try:
                record = self._queue.get(timeout=0.05)
            except queue.Empty:
                self._producer.poll(0)
                if self._closing.is_set():
                    break
                continue
            try:
                payload = self._encode(record)
            except Exception as error:  # a record fastavro refuses: counted, never raised here
                self._failed(f"cannot encode {record.get('prediction_id')!r}: {error}")
                continue
            self._produce(record["prediction_id"], record["event_time"], payload)
            self._producer.poll(0)
        self._producer.flush(max(self._deadline - time.monotonic(), 0.0))

    def _produce(self, key: str, event_time: int, payload: bytes) -> None:
        """Produces one record, waiting for room in librdkafka's queue: only
        this thread waits; callers of ``log`` see the bounded queue fill."""
        while True:
            try:
                self._producer.produce(
                    self._topic, value=payload, key=key, timestamp=event_time, on_delivery=self._delivered
                )
                return
            except BufferError:
                if time.monotonic() >= self._deadline:
                    self._failed("librdkafka's queue stayed full until the shutdown deadline")
                    return
                self._producer.poll(0.02)
            except Exception as error:  # librdkafka refused the record (too large, ...)
                self._failed(str(error))
                return

    def _delivered(self, error: Optional[KafkaError], _message: object) -> None:
        if error is None:
            with self._lock:
                self._stats.delivered += 1
        else:
            self._failed(str(error))

    def _failed(self, why: str) -> None:
        with self._lock:
            self._stats.failed += 1
            self._stats.last_failure = why


class PredictionLogger(_Logger):
    """Logs ``PredictionEvent`` records to ``topic``.

    In privacy mode the raw features never leave the process: each record
    carries only their keyed hash (``privacy_hash_key``, or the environment
    variable ``MLOBS_PRIVACY_HASH_KEY``; required then). Extra librdkafka
    settings (security, SASL, SSL) go in ``librdkafka``.
    """

    def __init__(
        self,
        brokers: str = "127.0.0.1:9092",
        topic: str = "mlobs.predictions",
        *,
        queue_capacity: int = 10_000,
        privacy_mode: bool = False,
        privacy_hash_key: Optional[str] = None,
        linger_ms: int = 20,
        librdkafka: Optional[Mapping[str, str]] = None,
    ) -> None:
        self._hash_key = hash_key(privacy_hash_key) if privacy_mode else None
        if privacy_mode and self._hash_key is None:
            raise ValueError(
                f"privacy mode needs a hash key: pass privacy_hash_key or set {HASH_KEY_ENV} "
                "(keep it out of files in the repository)"
            )
        super().__init__(brokers, topic, queue_capacity, linger_ms, librdkafka, avro.PREDICTION.encode)

    def log(
        self,
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
        request_id: Optional[str] = None,
        trace_id: Optional[str] = None,
    ) -> bool:
        """Queues one prediction; ``False`` when the queue was full and it
        was dropped (counted in :meth:`stats`). Never blocks. Arguments are
        those of :func:`mlobs.events.prediction_event`; a wrong one raises
        here, in the caller."""
        features_hashed = None
        if self._hash_key is not None:
            features_hashed = features_hash(self._hash_key, features)
            features = {}
        record = prediction_event(
            prediction_id,
            model,
            version,
            prediction,
            features,
            environment=environment,
            event_time=event_time,
            confidence=confidence,
            class_probabilities=class_probabilities,
            latency_ms=latency_ms,
            resources=resources,
            error=error,
            features_hash=features_hashed,
            request_id=request_id,
            trace_id=trace_id,
        )
        return self._put(record)


class LabelLogger(_Logger):
    """Logs ``GroundTruthEvent`` records (the true outcome of an earlier
    prediction) to ``topic``, keyed by ``prediction_id`` like the predictions."""

    def __init__(
        self,
        brokers: str = "127.0.0.1:9092",
        topic: str = "mlobs.labels",
        *,
        queue_capacity: int = 10_000,
        linger_ms: int = 20,
        librdkafka: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(brokers, topic, queue_capacity, linger_ms, librdkafka, avro.GROUND_TRUTH.encode)

    def log(self, prediction_id: str, label: Outcome, *, event_time: EventTime = None, source: str = "") -> bool:
        """Queues the label of ``prediction_id``; ``False`` when dropped.
        ``event_time`` is when the outcome became known (now by default)."""
        return self._put(ground_truth_event(prediction_id, label, event_time=event_time, source=source))
