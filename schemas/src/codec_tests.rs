//! Round trips, schema evolution in both directions, and hostile input.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::*;
use crate::events::*;

fn prediction() -> PredictionEvent {
    PredictionEvent {
        prediction_id: "p-1".into(),
        model: "fraud".into(),
        version: "2".into(),
        environment: "production".into(),
        event_time: 1_764_000_000_123,
        features: BTreeMap::from([
            ("amount".to_string(), Some(FeatureValue::Numeric(12.5))),
            (
                "country".to_string(),
                Some(FeatureValue::Categorical("FR".into())),
            ),
            ("age".to_string(), None),
        ]),
        features_hash: None,
        prediction: Outcome::Class("fraud".into()),
        confidence: Some(0.91),
        class_probabilities: Some(BTreeMap::from([
            ("fraud".to_string(), 0.91),
            ("legit".to_string(), 0.09),
        ])),
        latency_ms: 3.25,
        resources: Some(ResourceUsage {
            cpu_time_ms: Some(2.0),
            gpu_memory_mb: None,
            gpu_utilization: Some(0.5),
        }),
        error: Some(PredictionError {
            error_type: "timeout".into(),
            message: "slow".into(),
        }),
        request_id: Some("r-9".into()),
        trace_id: None,
    }
}

fn label() -> GroundTruthEvent {
    GroundTruthEvent {
        prediction_id: "p-1".into(),
        event_time: 1_764_000_100_000,
        label: Outcome::Value(3.5),
        source: "human_review".into(),
    }
}

fn alert() -> AlertEvent {
    AlertEvent {
        alert_id: "a-1".into(),
        rule: "accuracy_slo".into(),
        severity: Severity::Critical,
        status: AlertStatus::Firing,
        model: "fraud".into(),
        version: "2".into(),
        environment: "production".into(),
        summary: "accuracy fell to 0.88".into(),
        source: "stream".into(),
        evidence: AlertEvidence {
            metric: "accuracy".into(),
            value: 0.88,
            threshold: 0.9,
            window_start: 1,
            window_end: 2,
        },
        started_at: 3,
        updated_at: 4,
        reason: String::new(),
        details: [("feature".to_string(), "x".to_string())].into(),
    }
}

fn window_metrics() -> WindowMetrics {
    WindowMetrics {
        model: "fraud".into(),
        version: "2".into(),
        environment: "production".into(),
        window_start: 1_764_000_000_000,
        window_end: 1_764_000_060_000,
        complete: true,
        sources_with_data: 3,
        sources_expected: 4,
        predictions: 100,
        labeled: 80,
        correct: 70,
        unlabeled: 2,
        accuracy: Some(0.875),
        errors: BTreeMap::from([("timeout".to_string(), 3)]),
        latency_p50_ms: Some(2.0),
        latency_p95_ms: Some(9.0),
        latency_p99_ms: None,
        confidence_mean: Some(0.8),
        confidence_histogram: vec![0; 20],
        mae: None,
        rmse: None,
        cpu_time_ms_mean: None,
        gpu_memory_mb_mean: Some(512.0),
        gpu_utilization_mean: None,
        dataset_drift: false,
        share_drifted: 0.0,
        drift: vec![FeatureDriftResult {
            feature: "amount".into(),
            kind: "numeric".into(),
            method: "wasserstein".into(),
            score: Some(0.02),
            threshold: 0.1,
            drift_detected: false,
            status: "ok".into(),
            ks_statistic: Some(0.01),
            ks_p_value: Some(0.9),
            wasserstein: Some(0.2),
            wasserstein_normalized: Some(0.02),
            psi: Some(0.001),
            jensen_shannon: Some(0.01),
            chi2_statistic: None,
            chi2_p_value: None,
            current_count: 99,
            current_missing: 1,
            current_unseen: 4,
        }],
        accuracy_estimated: Some(0.86),
        accuracy_estimated_lower: Some(0.8),
        accuracy_estimated_upper: Some(0.92),
        precision_estimated: Some(0.7),
        recall_estimated: Some(0.6),
        f1_estimated: Some(0.65),
        calibration_source: "validation".into(),
        calibration_ece: Some(0.01),
        outcomes_by_prediction_window: vec![PredictionWindowOutcomes {
            window_start: 1_763_999_940_000,
            labeled: 80,
            correct: 70,
        }],
    }
}

#[test]
fn every_event_type_round_trips() {
    let w = window_metrics();
    assert_eq!(
        WriterSchemas::builtin()
            .decode::<WindowMetrics>(&encode(&w).unwrap())
            .unwrap(),
        w
    );
    let schemas = WriterSchemas::builtin();
    let p = prediction();
    assert_eq!(
        schemas
            .decode::<PredictionEvent>(&encode(&p).unwrap())
            .unwrap(),
        p
    );
    let l = label();
    assert_eq!(
        schemas
            .decode::<GroundTruthEvent>(&encode(&l).unwrap())
            .unwrap(),
        l
    );
    let a = alert();
    assert_eq!(
        schemas.decode::<AlertEvent>(&encode(&a).unwrap()).unwrap(),
        a
    );
    // Optional fields absent and the other union branches.
    let mut bare = prediction();
    bare.prediction = Outcome::Value(-1.5);
    bare.confidence = None;
    bare.class_probabilities = None;
    bare.resources = None;
    bare.error = None;
    bare.request_id = None;
    bare.features.clear();
    assert_eq!(
        schemas
            .decode::<PredictionEvent>(&encode(&bare).unwrap())
            .unwrap(),
        bare
    );
}

#[test]
fn records_carry_the_single_object_header() {
    let bytes = encode(&label()).unwrap();
    assert_eq!(bytes[..2], MAGIC);
    assert_eq!(
        bytes[2..10],
        *GroundTruthEvent::schema().rabin_fingerprint()
    );
}

#[test]
fn every_schema_field_and_record_has_a_doc() {
    fn check(value: &serde_json::Value, path: &str) {
        if let Some(fields) = value.get("fields").and_then(|f| f.as_array()) {
            assert!(value.get("doc").is_some(), "record {path} has no doc");
            for field in fields {
                let name = field["name"].as_str().unwrap();
                assert!(field.get("doc").is_some(), "field {path}.{name} has no doc");
                check(&field["type"], &format!("{path}.{name}"));
            }
        }
        if let Some(members) = value.as_array() {
            members.iter().for_each(|m| check(m, path));
        }
    }
    for (file, json) in BUILTIN_SCHEMAS {
        check(&serde_json::from_str(json).unwrap(), file);
    }
}

/// The label schema of a later producer: one optional field more.
const LABEL_V2: &str = r#"{
  "type": "record", "name": "GroundTruthEvent", "namespace": "io.mlobs",
  "fields": [
    {"name": "prediction_id", "type": "string"},
    {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "label", "type": ["string", "double"]},
    {"name": "source", "type": "string"},
    {"name": "reviewer", "type": ["null", "string"], "default": null}
  ]
}"#;

/// The reader side of a later consumer: the current fields plus `reviewer`.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct LabelV2 {
    prediction_id: String,
    event_time: i64,
    label: Outcome,
    source: String,
    reviewer: Option<String>,
}

#[test]
fn a_newer_reader_reads_records_of_the_current_writer() {
    let bytes = encode(&label()).unwrap();
    // The newer reader knows the current schema (it shipped before it) and
    // decodes with the writer schema that the fingerprint names.
    let current: Schema = BUILTIN_SCHEMAS[1].1.parse().unwrap();
    assert_eq!(&bytes[2..10], current.rabin_fingerprint());
    let decoded: LabelV2 = serde_avro_fast::from_datum_slice(&bytes[10..], &current).unwrap();
    let l = label();
    let expected = LabelV2 {
        prediction_id: l.prediction_id,
        event_time: l.event_time,
        label: l.label,
        source: l.source,
        reviewer: None,
    };
    assert_eq!(decoded, expected);
}

#[test]
fn the_current_reader_reads_records_of_a_newer_writer_once_it_knows_the_schema() {
    let v2: Schema = LABEL_V2.parse().unwrap();
    let l = label();
    let record = LabelV2 {
        prediction_id: l.prediction_id.clone(),
        event_time: l.event_time,
        label: l.label.clone(),
        source: l.source.clone(),
        reviewer: Some("alice".into()),
    };
    let mut config = SerializerConfig::new(&v2);
    let bytes = serde_avro_fast::to_single_object_vec(&record, &mut config).unwrap();

    let mut schemas = WriterSchemas::builtin();
    let unknown = schemas.decode::<GroundTruthEvent>(&bytes).unwrap_err();
    assert_eq!(unknown.reason(), "unknown_schema", "{unknown}");

    schemas.register(LABEL_V2).unwrap();
    assert_eq!(schemas.decode::<GroundTruthEvent>(&bytes).unwrap(), l);
}

#[test]
fn a_record_of_another_type_is_refused() {
    let schemas = WriterSchemas::builtin();
    let err = schemas
        .decode::<PredictionEvent>(&encode(&label()).unwrap())
        .unwrap_err();
    assert_eq!(err.reason(), "wrong_record_type");
    assert!(
        err.to_string().contains("io.mlobs.GroundTruthEvent"),
        "{err}"
    );
}

#[test]
fn header_problems_are_typed() {
    let schemas = WriterSchemas::builtin();
    let err = schemas.decode::<GroundTruthEvent>(&[0xC3]).unwrap_err();
    assert_eq!(err.reason(), "too_short");
    let err = schemas
        .decode::<GroundTruthEvent>(b"{\"json\": true}")
        .unwrap_err();
    assert_eq!(err.reason(), "not_avro");
}

#[test]
fn every_truncation_of_a_valid_record_is_an_error() {
    let schemas = WriterSchemas::builtin();
    let bytes = encode(&prediction()).unwrap();
    for len in HEADER_LEN..bytes.len() {
        let err = schemas
            .decode::<PredictionEvent>(&bytes[..len])
            .unwrap_err();
        assert!(
            matches!(err.reason(), "truncated" | "malformed"),
            "length {len}: unexpected {err}"
        );
    }
    let err = schemas
        .decode::<PredictionEvent>(&bytes[..bytes.len() / 2])
        .unwrap_err();
    assert_eq!(err.reason(), "truncated", "{err}");
}

#[test]
fn ten_thousand_random_byte_strings_give_typed_errors_and_no_panic() {
    let schemas = WriterSchemas::builtin();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let valid = encode(&prediction()).unwrap();
    let mut failures = 0;
    for i in 0..10_000 {
        let len = rng.random_range(0..200);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        // Most strings get a valid header so that the datum decoder is exercised too.
        if i % 4 != 0 && bytes.len() >= HEADER_LEN {
            bytes[..HEADER_LEN].copy_from_slice(&valid[..HEADER_LEN]);
        }
        // Every third one is a valid record with a few bytes flipped.
        if i % 3 == 0 {
            bytes = valid.clone();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(HEADER_LEN..bytes.len());
                bytes[at] = rng.random();
            }
        }
        if schemas.decode::<PredictionEvent>(&bytes).is_err() {
            failures += 1;
        }
    }
    // Random data decodes as a valid record only by rare accident (a flipped
    // byte inside a string or double stays valid).
    assert!(
        failures > 7_000,
        "only {failures} of 10,000 random inputs were rejected"
    );
}

#[test]
fn window_records_written_before_the_status_and_unseen_fields_still_decode() {
    // The window above as the first schema wrote it: no `status`, no
    // `current_unseen`.
    let mut old = without_estimates(window_metrics());
    let feature = old["drift"][0].as_object_mut().unwrap();
    feature.remove("status");
    feature.remove("current_unseen");
    let decoded = decode_as_written_by(BUILTIN_SCHEMAS[4].1, &old);
    assert_eq!(decoded.drift[0].status, "ok");
    assert_eq!(decoded.drift[0].current_unseen, 0);
    assert_eq!(decoded.drift[0].feature, window_metrics().drift[0].feature);
}

#[test]
fn window_records_written_before_the_estimates_still_decode() {
    let decoded = decode_as_written_by(BUILTIN_SCHEMAS[5].1, &without_estimates(window_metrics()));
    assert_eq!(decoded.accuracy_estimated, None);
    assert_eq!(decoded.calibration_source, "");
    assert!(decoded.outcomes_by_prediction_window.is_empty());
    assert_eq!(decoded.accuracy, window_metrics().accuracy);
}

/// `window` as JSON without the fields CBPE added.
fn without_estimates(window: WindowMetrics) -> serde_json::Value {
    let mut old = serde_json::to_value(window).unwrap();
    let fields = old.as_object_mut().unwrap();
    fields.retain(|name, _| {
        !name.contains("_estimated")
            && !name.starts_with("calibration_")
            && name != "outcomes_by_prediction_window"
    });
    old
}

/// Decodes `record` as a single object written with `schema`.
fn decode_as_written_by(schema: &str, record: &serde_json::Value) -> WindowMetrics {
    let schema: Schema = schema.parse().unwrap();
    let mut bytes = vec![0xC3, 0x01];
    bytes.extend_from_slice(schema.rabin_fingerprint());
    let config = &mut serde_avro_fast::ser::SerializerConfig::new(&schema);
    bytes.extend(serde_avro_fast::to_datum_vec(record, config).unwrap());
    WriterSchemas::builtin().decode(&bytes).unwrap()
}

#[test]
fn every_decode_reason_is_listed() {
    let errors = [
        DecodeError::TooShort { len: 1 },
        DecodeError::NotSingleObject { found: [0, 0] },
        DecodeError::UnknownFingerprint {
            fingerprint: "x".into(),
        },
        DecodeError::WrongRecord {
            expected: "a",
            found: "b".into(),
        },
        DecodeError::Truncated {
            record: "a",
            detail: "b".into(),
        },
        DecodeError::Malformed {
            record: "a",
            detail: "b".into(),
        },
    ];
    let reasons: Vec<&str> = errors.iter().map(DecodeError::reason).collect();
    assert_eq!(reasons, DecodeError::REASONS);
}
