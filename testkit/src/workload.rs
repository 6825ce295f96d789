//! A synthetic workload shared by the benchmarks: predictions with 20 numeric
//! and 5 categorical features, 80% labeled 30 s later, and a baseline of the
//! same features.

use std::collections::BTreeMap;

use mlobs_operators::baseline::{Baseline, ColumnData};
use mlobs_operators::stage1::Stage1Config;
use mlobs_operators::window::Windows;
use mlobs_schemas::{FeatureValue, GroundTruthEvent, Outcome, PredictionEvent};

use crate::TestRng;

/// Numeric features per prediction.
pub const NUMERIC: usize = 20;
/// Categorical features per prediction.
pub const CATEGORICAL: usize = 5;
/// Event time of the first prediction.
pub const T0: i64 = 1_764_000_000_000;

/// 20 numeric and 5 categorical features.
pub fn features(u: &mut TestRng) -> BTreeMap<String, Option<FeatureValue>> {
    let mut features = BTreeMap::new();
    for i in 0..NUMERIC {
        features.insert(
            format!("num_{i:02}"),
            Some(FeatureValue::Numeric(u.uniform() * 100.0 + i as f64)),
        );
    }
    for i in 0..CATEGORICAL {
        let category =
            ["red", "green", "blue", "cyan", "magenta", "yellow"][(u.uniform() * 6.0) as usize];
        features.insert(
            format!("cat_{i}"),
            Some(FeatureValue::Categorical(category.into())),
        );
    }
    features
}

/// Predictions 10 ms apart in event time, 80% labeled 30 s later.
pub fn stream(n: usize) -> (Vec<PredictionEvent>, Vec<GroundTruthEvent>) {
    let mut predictions = Vec::with_capacity(n);
    let mut labels = Vec::new();
    for (prediction, label) in traffic().take(n) {
        predictions.push(prediction);
        labels.extend(label);
    }
    (predictions, labels)
}

/// The endless stream behind [`stream`]: each prediction of versions 1 and 2
/// in turn, 10 ms apart, with its label 30 s later for 80% of them.
pub fn traffic() -> impl Iterator<Item = (PredictionEvent, Option<GroundTruthEvent>)> {
    let mut u = TestRng::new(7);
    (0..).map(move |i: usize| {
        let t = T0 + i as i64 * 10;
        let class = if u.uniform() < 0.5 { "yes" } else { "no" };
        let prediction = PredictionEvent {
            prediction_id: format!("pred-{i:09}"),
            model: "bench".into(),
            version: ["1", "2"][i % 2].into(),
            environment: "bench".into(),
            event_time: t,
            features: features(&mut u),
            features_hash: None,
            prediction: Outcome::Class(class.into()),
            confidence: Some(0.5 + u.uniform() / 2.0),
            class_probabilities: None,
            latency_ms: 1.0 + u.uniform() * 20.0,
            resources: None,
            error: None,
            request_id: None,
            trace_id: None,
        };
        let label = (u.uniform() < 0.8).then(|| GroundTruthEvent {
            prediction_id: format!("pred-{i:09}"),
            event_time: t + 30_000,
            label: Outcome::Class(if u.uniform() < 0.7 { class } else { "other" }.into()),
            source: "bench".into(),
        });
        (prediction, label)
    })
}

/// A baseline of `rows` rows of the same features.
pub fn baseline(rows: usize) -> Baseline {
    let mut u = TestRng::new(11);
    let events: Vec<_> = (0..rows).map(|_| features(&mut u)).collect();
    let columns: Vec<(String, ColumnData)> = events[0]
        .keys()
        .map(|name| {
            let data = if name.starts_with("num") {
                ColumnData::Numeric(
                    events
                        .iter()
                        .map(|f| match &f[name] {
                            Some(FeatureValue::Numeric(x)) => *x,
                            _ => f64::NAN,
                        })
                        .collect(),
                )
            } else {
                ColumnData::Categorical(
                    events
                        .iter()
                        .map(|f| match &f[name] {
                            Some(FeatureValue::Categorical(c)) => Some(c.clone()),
                            _ => None,
                        })
                        .collect(),
                )
            };
            (name.clone(), data)
        })
        .collect();
    Baseline::build(&columns)
}

/// The operator settings the benchmarks run the [`stream`] through: one-minute
/// windows, labels awaited for two minutes.
pub fn stage1_config() -> Stage1Config {
    Stage1Config {
        windows: Windows {
            size_ms: 60_000,
            allowed_lateness_ms: 5_000,
        },
        label_ttl_ms: 120_000,
        max_pending_labels: 100_000,
        limits: Default::default(),
    }
}
