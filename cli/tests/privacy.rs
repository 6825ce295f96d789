//! Privacy the pipeline enforces (`privacy.mode = "hash"`), against the real
//! broker and ClickHouse: a scenario sends raw features anyway, plus private
//! records that are invalid or cannot be decoded. Afterwards no raw value is
//! in any ClickHouse table or any topic mlobs writes, the dead letters say
//! what was withheld, and drift reports every feature as not monitored
//! instead of drifted.

mod support;

use std::collections::BTreeMap;

use mlobs_pipeline::sinks::clickhouse::migrate::TABLES;
use mlobs_schemas::{encode, FeatureValue, Outcome, PredictionEvent, WriterSchemas};
use mlobs_testkit::wait_until;
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;
use support::{stop_gracefully, Pipeline, DEADLINE, WRITTEN_TOPICS};

/// A category value only the private records carry.
const MARKER: &str = "MARKER-7f3a";
/// A number only the private records carry.
const MARKER_NUMBER: f64 = 98_765.432_1;
/// A category of the scenario's `plan` feature: a sketch would name it.
const SCENARIO_CATEGORY: &str = "enterprise";

fn private_event(id: &str, event_time: i64) -> PredictionEvent {
    PredictionEvent {
        prediction_id: id.into(),
        model: "churn".into(),
        version: "1".into(),
        environment: "production".into(),
        event_time,
        features: BTreeMap::from([
            (
                "plan".into(),
                Some(FeatureValue::Categorical(MARKER.into())),
            ),
            (
                "monthly_charges".into(),
                Some(FeatureValue::Numeric(MARKER_NUMBER)),
            ),
        ]),
        features_hash: None,
        prediction: Outcome::Class("stay".into()),
        confidence: Some(0.9),
        class_probabilities: None,
        latency_ms: 3.0,
        resources: None,
        error: None,
        request_id: None,
        trace_id: None,
    }
}

/// Two private events the pipeline refuses after decoding them (one from
/// the far future, one without an id) and one record it cannot decode.
fn send_private_dead_letters(pipeline: &Pipeline) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", pipeline.brokers())
        .create()
        .unwrap();
    let future = encode(&private_event("private-future", 4_102_444_800_000)).unwrap();
    let no_id = encode(&private_event("", 1_767_603_600_000)).unwrap();
    let garbage = format!("not avro, but private: {MARKER}").into_bytes();
    let topic = pipeline.topic("predictions");
    for (key, payload) in [
        ("private-1", future),
        ("private-2", no_id),
        ("private-3", garbage),
    ] {
        producer
            .send(BaseRecord::to(&topic).key(key).payload(&payload))
            .unwrap();
    }
    producer.flush(DEADLINE).unwrap();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The raw values a record or row must never hold.
fn leaks(bytes: &[u8]) -> Option<&'static str> {
    if contains(bytes, MARKER.as_bytes()) || contains(bytes, MARKER_NUMBER.to_string().as_bytes()) {
        return Some("a private record's raw value");
    }
    if contains(bytes, &MARKER_NUMBER.to_le_bytes()) {
        return Some("a private record's raw number");
    }
    contains(bytes, SCENARIO_CATEGORY.as_bytes()).then_some("a raw category of the scenario")
}

#[test]
fn raw_features_of_a_hashed_model_reach_no_table_and_no_topic() {
    let mut pipeline = Pipeline::new("privacy", 2);
    pipeline.set("MLOBS_PRIVACY_MODE", "hash");
    pipeline.set("MLOBS_PRIVACY_HASH_KEY", "a key of this test");
    // The simulator writes the baselines first; `mlobs run` loads them at start.
    let simulator = pipeline.simulate_in_background("drift.toml");
    let baseline = pipeline.dir.join("baselines/churn/1.json");
    wait_until(DEADLINE, "the scenario's baselines", || {
        baseline.exists().then_some(())
    });
    let run = pipeline.start("run", &[]);
    send_private_dead_letters(&pipeline);
    let truth = pipeline.background_truth(simulator);
    let windows = pipeline.wait_for(&truth, DEADLINE);

    // Drift: nothing to test, so nothing drifted (the privacy logger's
    // windows used to report every feature drifted).
    let drift: Vec<&serde_json::Value> = windows
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["drift"].as_array().unwrap())
        .collect();
    assert!(!drift.is_empty(), "the scenario's version has a baseline");
    for d in &drift {
        assert_eq!(d["status"], "not_monitored", "{d}");
        assert_eq!(d["drift_detected"], false, "{d}");
    }
    let monitored = pipeline.metric("run", "model_feature_monitored", "feature=\"plan\"");
    assert_eq!(monitored, Some(0.0));

    // The dead letters: kept, without the features, saying so.
    let schemas = WriterSchemas::builtin();
    let letters = pipeline.consume("dlq", 3);
    let mut withheld: Vec<(String, String)> = Vec::new();
    for letter in &letters {
        let header = |name: &str| {
            letter.headers().and_then(|h| {
                h.iter()
                    .find(|h| h.key == name)
                    .and_then(|h| h.value)
                    .map(|v| String::from_utf8_lossy(v).to_string())
            })
        };
        let payload = letter.payload().unwrap_or_default();
        if let Ok(event) = schemas.decode::<PredictionEvent>(payload) {
            assert!(event.features.is_empty() && event.features_hash.is_some());
        } else {
            assert!(
                payload.is_empty(),
                "an undecodable private record is not kept"
            );
        }
        let key = String::from_utf8_lossy(letter.key().unwrap()).to_string();
        withheld.push((key, header("mlobs.features_withheld").unwrap_or_default()));
    }
    withheld.sort();
    assert_eq!(
        withheld,
        [
            ("private-1", "features"),
            ("private-2", "features"),
            ("private-3", "record")
        ]
        .map(|(k, w)| (k.to_string(), w.to_string()))
    );

    // Every topic mlobs writes, every record.
    for topic in WRITTEN_TOPICS {
        let expected = usize::try_from(pipeline.records_in(topic)).unwrap();
        for record in pipeline.consume(topic, expected) {
            let bytes = [
                record.key().unwrap_or_default(),
                record.payload().unwrap_or_default(),
            ];
            for part in bytes {
                assert_eq!(
                    leaks(part),
                    None,
                    "topic {topic}, offset {}",
                    record.offset()
                );
            }
        }
    }

    // Every table.
    for table in TABLES {
        let rows = pipeline.history_text(&format!("SELECT * FROM {{db}}.{table}"));
        for row in rows.lines() {
            assert_eq!(leaks(row.as_bytes()), None, "table {table}: {row}");
        }
    }
    let logged = pipeline.history_number("SELECT count() FROM {db}.inference_log");
    let with_features = pipeline.history_number(
        "SELECT count() FROM {db}.inference_log WHERE length(numeric_feature_names) + \
         length(categorical_feature_names) + length(missing_features) > 0 OR features_hash IS NULL",
    );
    assert!(logged > 1000.0, "{logged} predictions logged");
    assert_eq!(with_features, 0.0, "every row has a hash and no feature");
    stop_gracefully(run);
    pipeline.drop_database();
}
