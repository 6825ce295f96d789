//! `make bench` for the operators: prints medians of repeated runs.
//!
//! - stage-1 chain (validate + join + metrics + sketches) on one core, with
//!   20 numeric and 5 categorical features per prediction, with and
//!   without confidences (the cost of CBPE's counting);
//! - drift evaluation of one window of 25 features against a baseline.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mlobs_operators::drift::dataset::{window_drift, Reference};
use mlobs_operators::drift::DriftOptions;
use mlobs_operators::sketch::FeatureSketch;
use mlobs_operators::stage1::{FeatureSpecs, Stage1, Stage1Config};
use mlobs_operators::window::Windows;
use mlobs_schemas::{GroundTruthEvent, PredictionEvent};
use mlobs_testkit::workload::{baseline, stage1_config, stream, CATEGORICAL, NUMERIC};

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Events per second of the stage-1 chain over `predictions` and their
/// `labels` (one run, from a fresh state).
fn chain_rate(
    predictions: &[PredictionEvent],
    labels: &[GroundTruthEvent],
    specs: &FeatureSpecs,
) -> f64 {
    let mut stage = Stage1::new(stage1_config());
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
    black_box(closed);
    (predictions.len() + labels.len()) as f64 / started.elapsed().as_secs_f64()
}

/// The chain with confidences (CBPE counts every classification in its
/// window and every outcome by confidence and by prediction window) and,
/// run by run in turn, the same events without them: the difference is
/// what CBPE costs the chain (with the confidence histogram and mean,
/// which are older and cheaper, in it too).
fn stage1_chain() {
    let (generated, labels) = stream(200_000);
    // Both sides are copies made the same way, so that neither has its
    // events laid out in memory better than the other (the generated ones,
    // allocated between their labels, run measurably slower).
    let copy = |confidence: bool| -> Vec<PredictionEvent> {
        generated
            .iter()
            .map(|p| PredictionEvent {
                confidence: p.confidence.filter(|_| confidence),
                ..p.clone()
            })
            .collect()
    };
    let (predictions, without) = (copy(true), copy(false));
    let baseline = baseline(20_000);
    let specs: BTreeMap<_, _> = baseline
        .features
        .keys()
        .map(|n| (n.clone(), baseline.spec(n).unwrap()))
        .collect();
    let specs = Arc::new(specs);
    let events = predictions.len() + labels.len();
    let (mut rates, mut rates_without) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        rates.push(chain_rate(&predictions, &labels, &specs));
        rates_without.push(chain_rate(&without, &labels, &specs));
    }
    let (min, max) = (
        rates.iter().cloned().fold(f64::MAX, f64::min),
        rates.iter().cloned().fold(0.0, f64::max),
    );
    let (with, bare) = (median(rates), median(rates_without));
    println!(
        "stage1 chain ({NUMERIC} numeric + {CATEGORICAL} categorical features, join, metrics): {with:.0} events/s median of 7 (min {min:.0}, max {max:.0}), {events} events per run"
    );
    println!(
        "stage1 chain without confidences (no CBPE counting): {bare:.0} events/s median of 7; CBPE's counting costs {:.1}% of the chain's rate ({:.0} ns per event)",
        (1.0 - with / bare) * 100.0,
        (1.0 / with - 1.0 / bare) * 1e9
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
        limits: Default::default(),
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
    let centroids: Vec<usize> = window
        .features
        .values()
        .filter_map(|sketch| match sketch {
            FeatureSketch::Numeric(numeric) => Some(numeric.digest.centroids().len()),
            FeatureSketch::Categorical(_) => None,
        })
        .collect();
    println!(
        "window drift ({} features, {} predictions vs a 100,000-row baseline): {:.2} ms median of 20; a numeric feature's t-digest holds {} centroids at most ({} bytes in a partial)",
        window.features.len(),
        window.predictions,
        median(times) * 1000.0,
        centroids.iter().max().unwrap_or(&0),
        centroids.iter().max().unwrap_or(&0) * 16,
    );
}

fn main() {
    let started = Instant::now();
    stage1_chain();
    window_drift_bench();
    assert!(started.elapsed() < Duration::from_secs(3600));
}
