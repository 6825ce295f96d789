//! A numeric baseline is as good as its training column for KS and the
//! normalised Wasserstein distance, checked against scipy on the raw data:
//! exact up to the exact limit (the whole column is kept), and within 0.005
//! (KS) and 2% (Wasserstein) beyond it (values kept at ranks), on the
//! distributions where a 1,000-value sample and a t-digest were worst:
//! lognormal, Student-t(2), Pareto and bimodal.
//!
//! A window's sketch (a t-digest, merged from the partitions' partials as
//! stage 2 merges them) is held to the same bounds against the raw values.

use std::collections::BTreeMap;

use mlobs_operators::baseline::{Baseline, ColumnData};
use mlobs_operators::drift::dataset::{columns_drift, window_drift, Reference, ReferenceFeature};
use mlobs_operators::drift::DriftOptions;
use mlobs_operators::sketch::{FeatureSketch, FeatureSpec, NumericSketch};
use mlobs_testkit::{run_reference_python, TestRng};
use serde_json::{json, Value};

struct Case {
    name: &'static str,
    draw: fn(&mut TestRng, f64) -> f64,
}

fn cases() -> [Case; 4] {
    [
        Case {
            name: "lognormal",
            draw: |r, shift| (shift + 1.5 * r.normal()).exp(),
        },
        Case {
            // Z / sqrt(chi-square(2) / 2), chi-square(2) = -2 ln U.
            name: "student_t2",
            draw: |r, shift| shift + r.normal() / (-(1.0 - r.uniform()).ln()).sqrt(),
        },
        Case {
            name: "pareto",
            draw: |r, shift| (1.0 - r.uniform()).powf(-1.0 / (1.2 + shift)),
        },
        Case {
            name: "bimodal",
            draw: |r, shift| {
                if r.uniform() < 0.6 + shift {
                    -2.0 + r.normal()
                } else {
                    3.0 + 0.5 * r.normal()
                }
            },
        },
    ]
}

fn sample(case: &Case, seed: u64, rows: usize, shift: f64) -> Vec<f64> {
    let mut rng = TestRng::new(seed);
    (0..rows).map(|_| (case.draw)(&mut rng, shift)).collect()
}

/// (KS, normalised Wasserstein) of a baseline built from `reference`
/// against the raw `current` (as `mlobs drift --baseline` computes them),
/// and against a window's sketch of it as the pipeline does (the baseline's
/// CDF at 12,000 knots, the window's t-digest merged from four partitions'),
/// and with the baseline's whole CDF.
fn from_the_baseline(reference: &[f64], current: &[f64]) -> [(f64, f64, f64); 3] {
    let column = |values: &[f64]| vec![("x".to_string(), ColumnData::Numeric(values.to_vec()))];
    let baseline = Baseline::build(&column(reference));
    let reference = Reference::from_baseline(&baseline);
    let options = DriftOptions::default();
    let raw = columns_drift(&reference, column(current), &options).unwrap();
    let Some(FeatureSpec::Numeric(spec)) = baseline.spec("x") else {
        unreachable!("a numeric feature")
    };
    let mut sketch = NumericSketch::new(&spec);
    for partition in current.chunks(current.len().div_ceil(4)) {
        let mut partial = NumericSketch::new(&spec);
        partition.iter().for_each(|x| partial.add(Some(*x), &spec));
        sketch.merge(&partial);
    }
    let sketches = BTreeMap::from([("x".to_string(), FeatureSketch::Numeric(sketch))]);
    let window = window_drift(&reference, &sketches, current.len() as u64, &options).unwrap();
    let mut whole = reference.clone();
    for feature in whole.features.values_mut() {
        if let ReferenceFeature::Numeric(numeric) = feature {
            numeric.sketch_cdf = None;
        }
    }
    let whole = window_drift(&whole, &sketches, current.len() as u64, &options).unwrap();
    [raw, window, whole].map(|report| {
        let statistics = report.features[0].statistics;
        (
            statistics.ks_statistic.unwrap(),
            statistics.wasserstein_normalized.unwrap(),
            statistics.ks_p_value.unwrap(),
        )
    })
}

/// The bounds for a sketch: KS within 0.005 of exact, the normalised
/// Wasserstein distance within 2%.
const SKETCH_KS: f64 = 0.005;
const SKETCH_WASSERSTEIN_SHARE: f64 = 0.02;

fn check(reference_rows: usize, current_rows: usize, ks_tolerance: f64, wasserstein_share: f64) {
    let mut samples = Vec::new();
    let mut inputs = Vec::new();
    for (i, case) in cases().iter().enumerate() {
        let reference = sample(case, 2 * i as u64 + 1, reference_rows, 0.0);
        let current = sample(case, 2 * i as u64 + 2, current_rows, 0.1);
        inputs.push(json!({"reference": reference, "current": current}));
        samples.push((case.name, reference, current));
    }
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/exact_distances.py");
    let exact: Vec<Value> = serde_json::from_str(&run_reference_python(
        &script,
        &json!({"cases": inputs}).to_string(),
    ))
    .unwrap();
    for ((name, reference, current), exact) in samples.iter().zip(exact) {
        let [(ks, w, p), (window_ks, window_w, window_p), (whole_ks, whole_w, _)] =
            from_the_baseline(reference, current);
        let (exact_ks, exact_w) = (
            exact["ks"].as_f64().unwrap(),
            exact["wasserstein_normalized"].as_f64().unwrap(),
        );
        eprintln!(
            "{name} ({reference_rows} rows): KS {ks} (scipy {exact_ks}), W {w} (scipy {exact_w}); window sketch: KS {window_ks}, W {window_w}"
        );
        assert!(
            (ks - exact_ks).abs() <= ks_tolerance,
            "{name}: KS {ks}, scipy {exact_ks}"
        );
        assert!(
            (w - exact_w).abs() <= wasserstein_share * exact_w,
            "{name}: normalised Wasserstein {w}, scipy {exact_w}"
        );
        assert!(
            (window_ks - exact_ks).abs() <= SKETCH_KS,
            "{name}: window sketch KS {window_ks}, scipy {exact_ks}"
        );
        assert!(
            (window_w - exact_w).abs() <= SKETCH_WASSERSTEIN_SHARE * exact_w,
            "{name}: window sketch normalised Wasserstein {window_w}, scipy {exact_w}"
        );
        // The sketch's error does not lower the p-value (conservative).
        assert!(
            window_p >= p,
            "{name}: p-value {window_p} from the window sketch, {p} from the values"
        );
        // Against a window's sketch the baseline's CDF at 12,000 knots gives
        // what its whole CDF gives.
        assert!(
            (window_ks - whole_ks).abs() <= 1e-4,
            "{name}: window KS {window_ks} at 12,000 knots, {whole_ks} with every value"
        );
        assert!(
            (window_w - whole_w).abs() <= 1e-3 * whole_w,
            "{name}: window Wasserstein {window_w} at 12,000 knots, {whole_w} with every value"
        );
    }
}

#[test]
fn up_to_the_exact_limit_the_baseline_gives_scipys_numbers() {
    // 5,000 rows: a t-digest was 16% off on heavy tails.
    check(5_000, 20_000, 1e-12, 1e-9);
}

#[test]
fn beyond_it_the_kept_ranks_stay_within_the_bounds() {
    check(300_000, 20_000, SKETCH_KS, SKETCH_WASSERSTEIN_SHARE);
}

#[test]
fn a_window_of_a_million_values_stays_within_the_bounds() {
    check(100_000, 1_000_000, SKETCH_KS, SKETCH_WASSERSTEIN_SHARE);
}
