//! `make bench` for the operators: prints medians of repeated runs.
//!
//! - stage-1 chain (validate + join + metrics + sketches) on one core, with
//!   20 numeric and 5 categorical features per prediction;
//! - drift evaluation of one window of 25 features against a baseline.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mlobs_operators::baseline::{Baseline, ColumnData};
use mlobs_operators::drift::dataset::{window_drift, Reference};
use mlobs_operators::drift::DriftOptions;
use mlobs_operators::stage1::{Stage1, Stage1Config};
use mlobs_operators::window::Windows;
use mlobs_schemas::{FeatureValue, GroundTruthEvent, Outcome, PredictionEvent};
use mlobs_testkit::TestRng;

const NUMERIC: usize = 20;
const CATEGORICAL: usize = 5;
const T0: i64 = 1_764_000_000_000;

fn features(u: &mut TestRng) -> BTreeMap<String, Option<FeatureValue>> {
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
fn stream(n: usize) -> (Vec<PredictionEvent>, Vec<GroundTruthEvent>) {
    let mut u = TestRng::new(7);
    let mut predictions = Vec::with_capacity(n);
    let mut labels = Vec::new();
    for i in 0..n {
        let t = T0 + i as i64 * 10;
        let class = if u.uniform() < 0.5 { "yes" } else { "no" };
        predictions.push(PredictionEvent {
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
        });
        if u.uniform() < 0.8 {
            labels.push(GroundTruthEvent {
                prediction_id: format!("pred-{i:09}"),
                event_time: t + 30_000,
                label: Outcome::Class(if u.uniform() < 0.7 { class } else { "other" }.into()),
                source: "bench".into(),
            });
        }
    }
    (predictions, labels)
}

fn baseline(rows: usize) -> Baseline {
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

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn stage1_chain() {
    let (predictions, labels) = stream(200_000);
    let baseline = baseline(20_000);
    let specs: BTreeMap<_, _> = baseline
        .features
        .keys()
        .map(|n| (n.clone(), baseline.spec(n).unwrap()))
        .collect();
    let specs = Arc::new(specs);
    let config = Stage1Config {
        windows: Windows {
            size_ms: 60_000,
            allowed_lateness_ms: 5_000,
        },
        label_ttl_ms: 120_000,
        max_pending_labels: 100_000,
    };
    let events = predictions.len() + labels.len();
    let mut rates = Vec::new();
    for _ in 0..5 {
        let mut stage = Stage1::new(config);
        stage.set_specs("bench", "1", specs.clone());
        stage.set_specs("bench", "2", specs.clone());
        let started = Instant::now();
        let mut next_label = 0;
        let mut closed = 0;
        for (i, p) in predictions.iter().enumerate() {
            black_box(stage.on_prediction(p).unwrap());
            while next_label < labels.len() && labels[next_label].event_time <= p.event_time {
                black_box(stage.on_label(&labels[next_label]).unwrap());
                next_label += 1;
            }
            if i % 1_000 == 0 {
                closed += stage.advance().len();
            }
        }
        for l in &labels[next_label..] {
            black_box(stage.on_label(l).unwrap());
        }
        closed += stage.flush().len();
        rates.push(events as f64 / started.elapsed().as_secs_f64());
        black_box(closed);
    }
    let (min, max) = (
        rates.iter().cloned().fold(f64::MAX, f64::min),
        rates.iter().cloned().fold(0.0, f64::max),
    );
    println!(
        "stage1 chain ({NUMERIC} numeric + {CATEGORICAL} categorical features, join, metrics): {:.0} events/s median of 5 (min {min:.0}, max {max:.0}), {events} events per run",
        median(rates)
    );
}

fn window_drift_bench() {
    let baseline = baseline(100_000);
    let reference = Reference::from_baseline(&baseline);
    let (predictions, _) = stream(20_000);
    let config = Stage1Config {
        windows: Windows {
            size_ms: 3_600_000,
            allowed_lateness_ms: 0,
        },
        label_ttl_ms: 1,
        max_pending_labels: 1,
    };
    let mut stage = Stage1::new(config);
    let specs: BTreeMap<_, _> = baseline
        .features
        .keys()
        .map(|n| (n.clone(), baseline.spec(n).unwrap()))
        .collect();
    stage.set_specs("bench", "1", Arc::new(specs));
    predictions
        .iter()
        .filter(|p| p.version == "1")
        .for_each(|p| drop(stage.on_prediction(p)));
    let window = stage
        .flush()
        .into_iter()
        .next()
        .expect("one window")
        .metrics;
    let options = DriftOptions::default();
    let mut times = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let report =
            window_drift(&reference, &window.features, window.predictions, &options).unwrap();
        times.push(started.elapsed().as_secs_f64());
        black_box(report);
    }
    println!(
        "window drift ({} features, {} predictions vs a 100,000-row baseline): {:.2} ms median of 20",
        window.features.len(),
        window.predictions,
        median(times) * 1000.0
    );
}

fn main() {
    let started = Instant::now();
    stage1_chain();
    window_drift_bench();
    assert!(started.elapsed() < Duration::from_secs(3600));
}
