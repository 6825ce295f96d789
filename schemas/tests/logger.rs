//! PredictionLogger against the real local broker (Apache Kafka, started by `make up`).

use std::collections::{BTreeMap, HashSet};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use mlobs_schemas::{
    FeatureValue, Logged, LoggerConfig, Outcome, PredictionEvent, PredictionLogger, WriterSchemas,
};
use mlobs_testkit::{brokers, consume_all, create_topics, payload, unique_name, OwnTopics};

fn event(i: usize) -> PredictionEvent {
    PredictionEvent {
        prediction_id: format!("pred-{i}"),
        model: "churn".into(),
        version: "1".into(),
        environment: "test".into(),
        event_time: 1_764_000_000_000 + i as i64,
        features: BTreeMap::from([
            ("tenure".to_string(), Some(FeatureValue::Numeric(i as f64))),
            (
                "plan".to_string(),
                Some(FeatureValue::Categorical("pro".into())),
            ),
        ]),
        features_hash: None,
        prediction: Outcome::Class("stay".into()),
        confidence: Some(0.8),
        class_probabilities: None,
        latency_ms: 1.5,
        resources: None,
        error: None,
        request_id: None,
        trace_id: None,
    }
}

/// A logger to a new 3-partition topic on the local broker (deleted when
/// the answer's `OwnTopics` is dropped).
fn logger_to_a_new_topic(
    prefix: &str,
    queue_capacity: usize,
) -> (String, PredictionLogger, OwnTopics) {
    let topic = unique_name(prefix);
    let own = create_topics(&[&topic], 3);
    let logger = PredictionLogger::start(LoggerConfig {
        brokers: brokers(),
        topic: topic.clone(),
        queue_capacity,
        ..LoggerConfig::default()
    })
    .unwrap();
    (topic, logger, own)
}

#[test]
fn ten_thousand_events_arrive_once_each() {
    let (topic, logger, _own) = logger_to_a_new_topic("logger-10k", 20_000);
    for i in 0..10_000 {
        assert_eq!(logger.log(event(i)), Logged::Queued);
    }
    let stats = logger.shutdown(Duration::from_secs(60));
    assert_eq!((stats.queued, stats.dropped, stats.failed), (10_000, 0, 0));
    assert_eq!(stats.delivered, 10_000);

    let records = consume_all(&topic, 10_000, Duration::from_secs(60));
    let schemas = WriterSchemas::builtin();
    let ids: Vec<String> = records
        .iter()
        .map(|r| {
            schemas
                .decode::<PredictionEvent>(payload(r))
                .unwrap()
                .prediction_id
        })
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(
        ids.len(),
        10_000,
        "records read (a surplus means duplicates)"
    );
    assert_eq!(unique.len(), 10_000, "distinct prediction ids");
    assert!((0..10_000).all(|i| unique.contains(&format!("pred-{i}"))));
}

#[test]
fn log_within_waits_for_room_where_log_would_drop() {
    // A queue of 100 drops most of a burst of 10,000 given to `log`.
    let (_, logger, _own) = logger_to_a_new_topic("logger-within", 100);
    for i in 0..10_000 {
        assert_eq!(
            logger.log_within(event(i), Duration::from_secs(60)),
            Logged::Queued
        );
    }
    let stats = logger.shutdown(Duration::from_secs(60));
    assert_eq!(
        (stats.queued, stats.dropped, stats.delivered),
        (10_000, 0, 10_000)
    );
}

#[test]
fn log_within_drops_after_its_patience_when_the_broker_is_down() {
    let logger = PredictionLogger::start(LoggerConfig {
        brokers: dead_broker(),
        topic: "mlobs.predictions".into(),
        queue_capacity: 1,
        ..LoggerConfig::default()
    })
    .unwrap();
    // Three events fill it: one in librdkafka's queue (of 1), one in the
    // sender thread's hands, waiting for room there, and one in the queue.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut i = 0;
    while logger.stats().queued < 3 {
        assert!(Instant::now() < deadline, "{:?}", logger.stats());
        logger.log(event(i));
        i += 1;
    }
    let dropped = logger.stats().dropped;
    let started = Instant::now();
    assert_eq!(
        logger.log_within(event(i), Duration::from_millis(300)),
        Logged::Dropped
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(logger.stats().dropped, dropped + 1);
}

#[test]
fn privacy_mode_sends_a_hash_instead_of_features() {
    let topic = unique_name("logger-privacy");
    let _own = create_topics(&[&topic], 1);
    let key = "a secret of this test";
    let logger = PredictionLogger::start(LoggerConfig {
        brokers: brokers(),
        topic: topic.clone(),
        privacy_mode: true,
        privacy_hash_key: key.into(),
        ..LoggerConfig::default()
    })
    .unwrap();
    logger.log(event(1));
    logger.log(event(2));
    assert_eq!(logger.shutdown(Duration::from_secs(30)).delivered, 2);

    let records = consume_all(&topic, 2, Duration::from_secs(30));
    let schemas = WriterSchemas::builtin();
    let events: Vec<PredictionEvent> = records
        .iter()
        .map(|r| schemas.decode(payload(r)).unwrap())
        .collect();
    assert_eq!(events.len(), 2);
    for e in &events {
        assert!(
            e.features.is_empty(),
            "raw features were sent: {:?}",
            e.features
        );
        assert_eq!(e.features_hash.as_ref().map(String::len), Some(64));
    }
    assert_ne!(
        events[0].features_hash, events[1].features_hash,
        "different features, same hash"
    );
    // Another SDK gets the same hashes: fastavro's encoding, Python's HMAC.
    let as_json = |v: &Option<FeatureValue>| match v {
        Some(FeatureValue::Numeric(x)) => serde_json::json!(x),
        Some(FeatureValue::Categorical(s)) => serde_json::json!(s),
        None => serde_json::Value::Null,
    };
    let features: Vec<serde_json::Value> = [1, 2]
        .iter()
        .map(|i| {
            let features = event(*i).features;
            features
                .iter()
                .map(|(k, v)| (k.clone(), as_json(v)))
                .collect()
        })
        .collect();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/features_hash.py");
    let python = mlobs_testkit::run_reference_python(
        &script,
        &serde_json::json!({"key": key, "features": features}).to_string(),
    );
    let theirs: Vec<String> = serde_json::from_str(&python).unwrap();
    let ours: Vec<String> = events
        .iter()
        .map(|e| e.features_hash.clone().unwrap())
        .collect();
    assert_eq!(ours, theirs);
}

#[test]
fn privacy_mode_without_a_key_does_not_start() {
    let error = PredictionLogger::start(LoggerConfig {
        privacy_mode: true,
        ..LoggerConfig::default()
    })
    .err()
    .expect("no key, no logger");
    assert!(
        matches!(error, mlobs_schemas::LoggerError::NoHashKey),
        "{error}"
    );
}

/// A loopback port with nothing listening: the logger sees a broker that is down.
fn dead_broker() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    address
}

#[test]
fn with_the_broker_down_logging_never_blocks_and_drops_are_counted() {
    let logger = PredictionLogger::start(LoggerConfig {
        brokers: dead_broker(),
        topic: "mlobs.predictions".into(),
        queue_capacity: 5_000,
        ..LoggerConfig::default()
    })
    .unwrap();
    let mut slowest = Duration::ZERO;
    let mut dropped = 0;
    for i in 0..100_000 {
        let started = Instant::now();
        if logger.log(event(i)) == Logged::Dropped {
            dropped += 1;
        }
        slowest = slowest.max(started.elapsed());
    }
    // Liveness, not speed: a call that waited for the broker would take the
    // message timeout (minutes); one second separates the two by far.
    assert!(
        slowest < Duration::from_secs(1),
        "a log call blocked for {slowest:?}"
    );
    let stats = logger.stats();
    assert!(dropped > 0, "a full queue must drop");
    assert_eq!(stats.dropped, dropped);
    assert_eq!(stats.queued + stats.dropped, 100_000);

    let started = Instant::now();
    let stats = logger.shutdown(Duration::from_secs(1));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "shutdown ignored its timeout"
    );
    assert_eq!(stats.delivered, 0);
    assert_eq!(stats.queued, stats.failed + stats.in_flight(), "{stats:?}");
}
