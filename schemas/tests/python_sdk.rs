//! The Python SDK (sdk/python, in its own virtualenv) writes what the Rust
//! encoder writes, byte for byte, and reads what it writes: 300 predictions
//! and 100 labels covering every field and union branch (missing features,
//! failed inferences, regression outputs, hashed features, class
//! probabilities, resources, non-ASCII names), plus the privacy hash.

use std::collections::BTreeMap;
use std::path::Path;

use mlobs_schemas::features_hash::features_hash;
use mlobs_schemas::{
    encode, FeatureValue, GroundTruthEvent, Outcome, PredictionError, PredictionEvent,
    ResourceUsage, WriterSchemas,
};
use mlobs_testkit::{run_python, sdk_python, TestRng};
use serde_json::{json, Value};

const HASH_KEY: &str = "a secret only the operator holds";

/// `value` with probability `p`.
fn some<T>(rng: &mut TestRng, p: f64, value: T) -> Option<T> {
    (rng.uniform() < p).then_some(value)
}

fn prediction(i: usize, rng: &mut TestRng) -> PredictionEvent {
    let mut features = BTreeMap::new();
    let candidates: [(&str, Option<FeatureValue>); 5] = [
        (
            "tenure_months",
            Some(FeatureValue::Numeric(rng.normal() * 12.0 + 24.0)),
        ),
        (
            "plan",
            Some(FeatureValue::Categorical(
                ["basic", "pro", "énterprise"][i % 3].into(),
            )),
        ),
        (
            "monthly_charges",
            Some(FeatureValue::Numeric((i as f64) * 0.25 - 3.0)),
        ),
        ("zip", Some(FeatureValue::Categorical(String::new()))),
        ("age", None),
    ];
    for (name, value) in candidates {
        if rng.uniform() < 0.7 {
            features.insert(name.to_string(), value);
        }
    }
    let failed = i.is_multiple_of(17);
    let regression = i.is_multiple_of(5);
    let hashed = i.is_multiple_of(11);
    let prediction = match (failed, regression) {
        (true, _) => Outcome::Class(String::new()),
        (false, true) => Outcome::Value(rng.normal() * 100.0),
        (false, false) => Outcome::Class(["stay", "churn"][i % 2].into()),
    };
    let p = rng.uniform();
    let resources = ResourceUsage {
        cpu_time_ms: Some(rng.uniform() * 10.0),
        gpu_memory_mb: some(rng, 0.5, 1800.0),
        gpu_utilization: None,
    };
    let resources = some(rng, 0.5, resources);
    PredictionEvent {
        prediction_id: format!("py-{i}"),
        model: if regression { "ltv" } else { "churn" }.into(),
        version: (i % 3 + 1).to_string(),
        environment: ["production", "staging", ""][i % 3].into(),
        event_time: 1_764_000_000_000 + (i as i64) * 997,
        features_hash: hashed.then(|| features_hash(HASH_KEY.as_bytes(), &features)),
        features: if hashed { BTreeMap::new() } else { features },
        prediction,
        confidence: (!failed && !regression).then_some(p.max(1.0 - p)),
        class_probabilities: some(
            rng,
            0.5,
            BTreeMap::from([("churn".to_string(), p), ("stay".to_string(), 1.0 - p)]),
        )
        .filter(|_| !regression),
        latency_ms: rng.uniform() * 50.0,
        resources,
        error: failed.then(|| PredictionError {
            error_type: "timeout".into(),
            message: format!("no answer in {i} ms"),
        }),
        request_id: some(rng, 0.3, format!("req-{i}")),
        trace_id: some(rng, 0.3, format!("{i:032x}")),
    }
}

fn label(i: usize, rng: &mut TestRng) -> GroundTruthEvent {
    GroundTruthEvent {
        prediction_id: format!("py-{i}"),
        event_time: 1_764_000_600_000 + (i as i64) * 1_013,
        label: if i.is_multiple_of(4) {
            Outcome::Value(rng.normal())
        } else {
            Outcome::Class(["stay", "churn"][i % 2].into())
        },
        source: ["chargeback", "", "human_review"][i % 3].into(),
    }
}

/// Each event as serde JSON with its Rust encoding in hex.
fn described<T: serde::Serialize>(events: &[T], bytes: &[Vec<u8>]) -> Vec<Value> {
    events
        .iter()
        .zip(bytes)
        .map(|(event, bytes)| json!({"event": event, "bytes": hex(bytes)}))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn the_python_sdk_writes_and_reads_the_rust_encoders_bytes() {
    let mut rng = TestRng::new(16);
    let predictions: Vec<PredictionEvent> = (0..300).map(|i| prediction(i, &mut rng)).collect();
    let labels: Vec<GroundTruthEvent> = (0..100).map(|i| label(i, &mut rng)).collect();
    let ours = |events: &[PredictionEvent]| -> Vec<Vec<u8>> {
        events.iter().map(|e| encode(e).unwrap()).collect()
    };
    let prediction_bytes = ours(&predictions);
    let label_bytes: Vec<Vec<u8>> = labels.iter().map(|e| encode(e).unwrap()).collect();
    let input = json!({
        "hash_key": HASH_KEY,
        "predictions": described(&predictions, &prediction_bytes),
        "labels": described(&labels, &label_bytes),
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/python/tests/compat.py");
    let answer: Value =
        serde_json::from_str(&run_python(&sdk_python(), &script, &input.to_string())).unwrap();

    let schemas = WriterSchemas::builtin();
    for (i, (event, rust)) in predictions.iter().zip(&prediction_bytes).enumerate() {
        let python = &answer["predictions"][i];
        let written = unhex(python["python"].as_str().unwrap());
        assert_eq!(
            hex(&written),
            hex(rust),
            "Python wrote event {i} otherwise: {event:?}"
        );
        assert_eq!(&schemas.decode::<PredictionEvent>(&written).unwrap(), event);
        assert_eq!(
            python["reencoded"].as_str().unwrap(),
            hex(rust),
            "event {i} read back"
        );
        let features = if event.features_hash.is_some() {
            BTreeMap::new()
        } else {
            event.features.clone()
        };
        assert_eq!(
            python["hash"].as_str().unwrap(),
            features_hash(HASH_KEY.as_bytes(), &features),
            "the privacy hash of event {i}"
        );
    }
    for (i, (event, rust)) in labels.iter().zip(&label_bytes).enumerate() {
        let python = &answer["labels"][i];
        let written = unhex(python["python"].as_str().unwrap());
        assert_eq!(hex(&written), hex(rust), "Python wrote label {i} otherwise");
        assert_eq!(
            &schemas.decode::<GroundTruthEvent>(&written).unwrap(),
            event
        );
        assert_eq!(python["reencoded"].as_str().unwrap(), hex(rust));
    }
    // Every branch was there to be checked.
    let hashed = predictions
        .iter()
        .filter(|p| p.features_hash.is_some())
        .count();
    let failed = predictions.iter().filter(|p| p.error.is_some()).count();
    let missing = predictions
        .iter()
        .filter(|p| p.features.values().any(Option::is_none))
        .count();
    assert!(
        hashed > 10 && failed > 10 && missing > 50,
        "{hashed} {failed} {missing}"
    );
}
