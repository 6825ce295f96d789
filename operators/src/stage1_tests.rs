use std::collections::BTreeMap;

use mlobs_schemas::{FeatureValue, PredictionError};

use super::*;

const MINUTE: i64 = 60_000;
const T0: i64 = 1_764_000_000_000 - 1_764_000_000_000 % MINUTE;

fn config() -> Stage1Config {
    Stage1Config {
        windows: Windows {
            size_ms: MINUTE,
            allowed_lateness_ms: 10_000,
        },
        label_ttl_ms: 5 * MINUTE,
        max_pending_labels: 1_000,
        limits: Default::default(),
    }
}

fn prediction(id: &str, version: &str, t: i64, class: &str) -> PredictionEvent {
    PredictionEvent {
        prediction_id: id.into(),
        model: "m".into(),
        version: version.into(),
        environment: "test".into(),
        event_time: t,
        features: BTreeMap::from([("x".into(), Some(FeatureValue::Numeric(t as f64 % 7.0)))]),
        features_hash: None,
        prediction: Outcome::Class(class.into()),
        confidence: Some(0.9),
        class_probabilities: None,
        latency_ms: 5.0,
        resources: None,
        error: None,
        request_id: None,
        trace_id: None,
    }
}

fn label(id: &str, t: i64, class: &str) -> GroundTruthEvent {
    GroundTruthEvent {
        prediction_id: id.into(),
        event_time: t,
        label: Outcome::Class(class.into()),
        source: "test".into(),
    }
}

/// Totals over closed partials: (predictions, labeled, correct, unlabeled) per version.
fn totals(partials: &[ClosedPartial]) -> BTreeMap<String, (u64, u64, u64, u64)> {
    let mut totals = BTreeMap::new();
    for p in partials {
        let t: &mut (u64, u64, u64, u64) = totals.entry(p.version.clone()).or_default();
        t.0 += p.metrics.predictions;
        t.1 += p.metrics.labeled;
        t.2 += p.metrics.correct;
        t.3 += p.metrics.unlabeled;
    }
    totals
}

#[test]
fn predictions_and_labels_meet_and_windows_close_behind_the_watermark() {
    let mut stage = Stage1::new(config());
    stage
        .on_prediction(&prediction("a", "1", T0 + 1_000, "yes"))
        .unwrap();
    stage
        .on_prediction(&prediction("b", "1", T0 + 2_000, "no"))
        .unwrap();
    let joined = stage
        .on_label(&label("a", T0 + 30_000, "yes"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (joined.prediction_time, joined.label_time),
        (T0 + 1_000, T0 + 30_000)
    );
    stage
        .on_label(&label("b", T0 + 40_000, "yes"))
        .unwrap()
        .unwrap();
    assert!(
        stage.advance().is_empty(),
        "window 0 is open until T0 + 70s"
    );

    stage
        .on_prediction(&prediction("c", "1", T0 + 80_000, "no"))
        .unwrap();
    stage.on_label(&label("z", T0 + 75_000, "no")).unwrap();
    let closed = stage.advance();
    assert_eq!(closed.len(), 1);
    let m = &closed[0].metrics;
    assert_eq!(
        (closed[0].window_start, closed[0].window_end),
        (T0, T0 + MINUTE)
    );
    assert_eq!((m.predictions, m.labeled, m.correct), (2, 2, 1));
    assert_eq!(m.confusion["no"]["yes"], 1);
    assert_eq!(stage.closed_before(), Some(T0 + MINUTE));
}

#[test]
fn late_duplicate_and_invalid_events_are_counted_not_scored() {
    let mut stage = Stage1::new(config());
    stage
        .on_prediction(&prediction("a", "1", T0 + 1_000, "yes"))
        .unwrap();
    stage
        .on_prediction(&prediction("a", "1", T0 + 1_500, "yes"))
        .unwrap();
    stage.on_label(&label("x", T0 + 3 * MINUTE, "yes")).unwrap();
    stage
        .on_prediction(&prediction("p", "1", T0 + 3 * MINUTE, "yes"))
        .unwrap();
    let closed = stage.advance();
    assert_eq!(totals(&closed)["1"].0, 1, "the duplicate was not counted");
    stage
        .on_prediction(&prediction("late", "1", T0 + 2_000, "yes"))
        .unwrap();
    stage.on_label(&label("a", T0 + 5_000, "yes")).unwrap();
    let counters = stage.counters();
    assert_eq!(
        (
            counters.duplicate_predictions,
            counters.late_predictions,
            counters.late_labels
        ),
        (1, 1, 1)
    );

    let mut bad = prediction("", "1", T0, "yes");
    assert_eq!(
        stage.on_prediction(&bad).unwrap_err().reason,
        "missing_field"
    );
    bad = prediction("q", "1", 1_764_000_000, "yes");
    assert_eq!(
        stage.on_prediction(&bad).unwrap_err().reason,
        "invalid_event_time"
    );
    bad = prediction("q", "1", T0, "yes");
    bad.confidence = Some(1.5);
    assert_eq!(
        stage.on_prediction(&bad).unwrap_err().reason,
        "invalid_confidence"
    );
}

#[test]
fn a_prediction_without_label_counts_as_unlabeled_where_its_ttl_ends() {
    let mut stage = Stage1::new(config());
    stage
        .on_prediction(&prediction("lonely", "1", T0 + 1_000, "yes"))
        .unwrap();
    let mut errored = prediction("failed", "1", T0 + 1_000, "yes");
    errored.error = Some(PredictionError {
        error_type: "gpu_oom".into(),
        message: "oom".into(),
    });
    stage.on_prediction(&errored).unwrap();
    stage
        .on_prediction(&prediction("later", "1", T0 + 7 * MINUTE, "yes"))
        .unwrap();
    stage
        .on_label(&label("none", T0 + 7 * MINUTE, "yes"))
        .unwrap();
    let closed = stage.advance();
    let first = closed.iter().find(|p| p.window_start == T0).unwrap();
    assert_eq!(
        (first.metrics.predictions, first.metrics.errors["gpu_oom"]),
        (2, 1)
    );
    let ttl_window = closed
        .iter()
        .find(|p| p.window_start == T0 + 5 * MINUTE)
        .unwrap();
    assert_eq!(
        ttl_window.metrics.unlabeled, 1,
        "errored predictions are not waited for"
    );
}

/// A deterministic stream: predictions every second, labels 20 s later.
fn stream(n: i64) -> (Vec<PredictionEvent>, Vec<GroundTruthEvent>) {
    let predictions = (0..n)
        .map(|i| {
            prediction(
                &format!("id{i}"),
                ["1", "2"][(i % 2) as usize],
                T0 + i * 1_000,
                ["yes", "no"][(i % 3 == 0) as usize],
            )
        })
        .collect();
    let labels = (0..n)
        .filter(|i| i % 5 != 0)
        .map(|i| label(&format!("id{i}"), T0 + i * 1_000 + 20_000, "yes"))
        .collect();
    (predictions, labels)
}

fn run_interleaved(
    predictions: &[PredictionEvent],
    labels: &[GroundTruthEvent],
    burst: usize,
) -> Vec<ClosedPartial> {
    let mut stage = Stage1::new(config());
    let mut closed = Vec::new();
    let (mut p, mut l) = (predictions.iter(), labels.iter());
    loop {
        let mut any = false;
        for event in p.by_ref().take(burst) {
            stage.on_prediction(event).unwrap();
            any = true;
        }
        for event in l.by_ref().take(burst.div_ceil(2)) {
            stage.on_label(event).unwrap();
            any = true;
        }
        closed.extend(stage.advance());
        if !any {
            break;
        }
    }
    closed.extend(stage.flush());
    closed
}

#[test]
fn results_do_not_depend_on_how_the_two_inputs_interleave() {
    let (predictions, labels) = stream(600);
    let a = totals(&run_interleaved(&predictions, &labels, 1));
    let b = totals(&run_interleaved(&predictions, &labels, 97));
    assert_eq!(a, b);
    let all: u64 = a.values().map(|t| t.0).sum();
    let labeled: u64 = a.values().map(|t| t.1).sum();
    assert_eq!((all, labeled), (600, 480));
}

#[test]
fn a_checkpoint_in_the_middle_gives_the_same_result() {
    let (predictions, labels) = stream(300);
    let mut straight = Stage1::new(config());
    let mut resumed = Stage1::new(config());
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (i, event) in predictions.iter().enumerate() {
        straight.on_prediction(event).unwrap();
        resumed.on_prediction(event).unwrap();
        if let Some(l) = labels.get(i) {
            straight.on_label(l).unwrap();
            resumed.on_label(l).unwrap();
        }
        a.extend(straight.advance());
        b.extend(resumed.advance());
        if i == 150 || i == 151 {
            let saved = serde_json::to_string(&resumed).unwrap();
            resumed = serde_json::from_str(&saved).unwrap();
        }
    }
    assert_eq!(a, b);
}

#[test]
fn names_holding_nul_or_colons_never_merge_two_series() {
    let mut stage = Stage1::new(config());
    let names = [("a\0b", "c"), ("a", "b\0c"), ("1:a", "b"), ("1", ":ab")];
    for (i, (model, version)) in names.iter().enumerate() {
        let mut event = prediction(&format!("p{i}"), version, T0, "yes");
        event.model = model.to_string();
        stage.on_prediction(&event).unwrap();
    }
    let mut seen: Vec<(String, String, u64)> = stage
        .flush()
        .into_iter()
        .map(|p| (p.model, p.version, p.metrics.predictions))
        .collect();
    seen.sort();
    let mut expected: Vec<(String, String, u64)> = names
        .iter()
        .map(|(m, v)| (m.to_string(), v.to_string(), 1))
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
}

#[test]
fn junk_feature_names_classes_and_error_types_stop_at_their_caps() {
    let limits = crate::limits::Limits {
        max_unknown_features: 3,
        max_classes: 2,
        max_error_types: 2,
    };
    let mut stage = Stage1::new(Stage1Config { limits, ..config() });
    for i in 0..100 {
        let id = format!("p{i}");
        let mut event = prediction(&id, "1", T0 + i, &format!("class-{i}"));
        event.features.insert(format!("junk-{i}"), None);
        if i % 2 == 0 {
            event.error = Some(PredictionError {
                error_type: format!("error-{i}"),
                message: String::new(),
            });
        }
        stage.on_prediction(&event).unwrap();
        stage.on_label(&label(&id, T0 + i, "yes")).unwrap();
    }
    let closed = stage.flush();
    let metrics = &closed[0].metrics;
    // No baseline: x is unknown too, and came first.
    assert_eq!(metrics.features.len(), 3, "x and two junk features");
    assert_eq!(metrics.errors.len(), 2 + 1, "2 error types and (other)");
    assert_eq!(
        metrics.errors.values().sum::<u64>(),
        50,
        "every failure counted"
    );
    assert!(metrics.confusion.len() <= 3);
    assert!(metrics.confusion.values().all(|row| row.len() <= 3));
    let capped = stage.capped();
    assert_eq!(capped.error_types, 48);
    assert_eq!(capped.features, 98);
    assert!(capped.classes > 0);
}
