//! `mlobs drift --reference` promises Evidently's verdicts. This test runs
//! Evidently 0.7.23's `DataDriftPreset` itself (in the reference Python that
//! `make test` installs) on generated datasets of every kind its rules
//! distinguish, many of them borderline, and asserts that mlobs chooses the
//! same method, reaches the same decision for every feature and the same
//! dataset verdict, with the same score.

use std::collections::BTreeMap;
use std::path::Path;

use mlobs_operators::baseline::ColumnData;
use mlobs_operators::drift::dataset::samples_drift;
use mlobs_operators::drift::samples::Sample;
use mlobs_operators::drift::{Choice, DriftOptions, DriftReport, Method};
use mlobs_testkit::{run_reference_python, TestRng};
use serde_json::{json, Value};

/// One dataset: columns with reference and current values, and a method
/// forced on all of them (None: automatic).
struct Case {
    name: String,
    columns: Vec<(String, ColumnData, ColumnData)>,
    method: Option<Method>,
}

fn case(name: impl Into<String>, reference: ColumnData, current: ColumnData) -> Case {
    Case {
        name: name.into(),
        columns: vec![("x".into(), reference, current)],
        method: None,
    }
}

fn forced(method: Method, mut case: Case) -> Case {
    case.name = format!("{}_{}", case.name, method.name());
    case.method = Some(method);
    case
}

/// `n` normal values; a share of them missing (NaN).
fn normal(seed: u64, n: usize, mean: f64, std: f64, missing: f64) -> ColumnData {
    let mut rng = TestRng::new(seed);
    ColumnData::Numeric(
        (0..n)
            .map(|_| {
                let x = mean + std * rng.normal();
                if rng.uniform() < missing {
                    f64::NAN
                } else {
                    x
                }
            })
            .collect(),
    )
}

/// Index drawn with the given weights.
fn draw(rng: &mut TestRng, weights: &[f64]) -> usize {
    let mut target = rng.uniform() * weights.iter().sum::<f64>();
    for (i, w) in weights.iter().enumerate() {
        if target < *w {
            return i;
        }
        target -= w;
    }
    weights.len() - 1
}

/// Numbers 0, 1, ... drawn with the given weights.
fn values(seed: u64, n: usize, weights: &[f64]) -> ColumnData {
    let mut rng = TestRng::new(seed);
    ColumnData::Numeric((0..n).map(|_| draw(&mut rng, weights) as f64).collect())
}

/// Labels "c0", "c1", ... drawn with the given weights.
fn labels(seed: u64, n: usize, weights: &[f64]) -> ColumnData {
    let mut rng = TestRng::new(seed);
    ColumnData::Categorical(
        (0..n)
            .map(|_| Some(format!("c{}", draw(&mut rng, weights))))
            .collect(),
    )
}

/// Uniform weights over `k` values, the first moved by `shift` (taken
/// evenly from the others).
fn tilted(k: usize, shift: f64) -> Vec<f64> {
    let base = 1.0 / k as f64;
    (0..k)
        .map(|i| {
            if i == 0 {
                base + shift
            } else {
                base - shift / (k - 1) as f64
            }
        })
        .collect()
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut seed = 0;
    let mut next = || {
        seed += 2;
        seed
    };
    // Chi-square on few values: the degrees of freedom decide borderline p-values.
    for k in [3, 4, 5] {
        for shift in [0.02, 0.04, 0.07] {
            let s = next();
            cases.push(case(
                format!("numeric_{k}_values_shift_{shift}"),
                values(s, 600, &tilted(k, 0.0)),
                values(s + 1, 400, &tilted(k, shift)),
            ));
        }
    }
    for k in [3, 5, 8] {
        for shift in [0.02, 0.04, 0.06] {
            let s = next();
            cases.push(case(
                format!("categories_{k}_shift_{shift}"),
                labels(s, 800, &tilted(k, 0.0)),
                labels(s + 1, 500, &tilted(k, shift)),
            ));
        }
    }
    // Distinct values counted on both sides together.
    for (name, reference, current) in [
        (
            "five_then_seven_values",
            vec![1.0; 5],
            vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.3],
        ),
        ("two_then_three_values", vec![1.0, 1.0], vec![1.0, 1.0, 0.2]),
        (
            "five_then_six_values",
            vec![1.0; 5],
            vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.05],
        ),
    ] {
        let s = next();
        cases.push(case(
            format!("{name}_numeric"),
            values(s, 700, &reference),
            values(s + 1, 500, &current),
        ));
        if reference.len() == 2 {
            cases.push(case(
                format!("{name}_categorical"),
                labels(s, 700, &reference),
                labels(s + 1, 500, &current),
            ));
        }
    }
    // The 1000-row rule counts the reference rows left after dropping missing ones.
    for (rows, missing) in [
        (1100, 0.12),
        (1100, 0.08),
        (1000, 0.0),
        (1001, 0.0),
        (2000, 0.55),
    ] {
        let s = next();
        cases.push(case(
            format!("rows_{rows}_missing_{missing}"),
            normal(s, rows, 0.0, 1.0, missing),
            normal(s + 1, 800, 0.08, 1.0, 0.1),
        ));
    }
    // The exact KS p-value, equal and unequal sizes.
    for (n1, n2, shift) in [
        (20, 15, 0.6),
        (40, 40, 0.45),
        (100, 60, 0.3),
        (100, 100, 0.25),
        (300, 700, 0.15),
        (1000, 1000, 0.09),
        (999, 9000, 0.07),
        (500, 12000, 0.1),
        (37, 1200, 0.35),
        (250, 249, 0.2),
    ] {
        let s = next();
        cases.push(case(
            format!("ks_{n1}_{n2}"),
            normal(s, n1, 0.0, 1.0, 0.0),
            normal(s + 1, n2, shift, 1.0, 0.0),
        ));
    }
    // Normalised Wasserstein near 0.1, and its floor under the std.
    for std in [1.0, 0.0005] {
        for shift in [0.08, 0.1, 0.12] {
            let s = next();
            cases.push(case(
                format!("wasserstein_std_{std}_shift_{shift}"),
                normal(s, 2000, 5.0, std, 0.0),
                normal(s + 1, 1500, 5.0 + shift * std.max(0.001), std, 0.0),
            ));
        }
    }
    // A constant reference: the floor under the std is all there is to divide by.
    for noise in [0.00005, 0.0001, 0.0002] {
        let s = next();
        let ColumnData::Numeric(noise_values) = normal(s, 1200, 0.0, noise, 0.0) else {
            unreachable!("numbers")
        };
        cases.push(case(
            format!("wasserstein_constant_reference_noise_{noise}"),
            ColumnData::Numeric(vec![4.0; 1500]),
            ColumnData::Numeric(noise_values.iter().map(|e| 4.0 + e).collect()),
        ));
    }
    // PSI and Jensen-Shannon: Sturges' bins for many values, values for few.
    for method in [Method::Psi, Method::JensenShannon] {
        for (rows, shift) in [(3000, 0.05), (3000, 0.25), (500, 0.2)] {
            let s = next();
            cases.push(forced(
                method,
                case(
                    format!("many_values_{rows}_shift_{shift}"),
                    normal(s, rows, 0.0, 1.0, 0.05),
                    normal(s + 1, 2000, shift, 1.2, 0.0),
                ),
            ));
        }
        let s = next();
        cases.push(forced(
            method,
            case(
                "twelve_values",
                values(s, 2500, &tilted(12, 0.0)),
                values(s + 1, 1500, &tilted(12, 0.05)),
            ),
        ));
    }
    // Jensen-Shannon, the automatic method for few values in a large reference.
    for shift in [0.05, 0.12, 0.2] {
        let s = next();
        cases.push(case(
            format!("js_numeric_4_values_shift_{shift}"),
            values(s, 2000, &tilted(4, 0.0)),
            values(s + 1, 1500, &tilted(4, shift)),
        ));
        cases.push(case(
            format!("js_categories_6_shift_{shift}"),
            labels(s, 3000, &tilted(6, 0.0)),
            labels(s + 1, 1000, &tilted(6, shift)),
        ));
    }
    // The z-test on two values.
    for shift in [0.02, 0.04, 0.06] {
        let s = next();
        cases.push(case(
            format!("binary_numeric_shift_{shift}"),
            values(s, 900, &[0.3, 0.7]),
            values(s + 1, 700, &[0.3 + shift, 0.7 - shift]),
        ));
        cases.push(case(
            format!("binary_categorical_shift_{shift}"),
            labels(s, 600, &[0.5, 0.5]),
            labels(s + 1, 600, &[0.5 + shift, 0.5 - shift]),
        ));
    }
    cases.push(case(
        "one_value_on_both_sides",
        labels(next(), 300, &[1.0]),
        labels(next(), 200, &[1.0]),
    ));
    // A whole dataset: the share of drifted features decides.
    for drifted in [1, 2] {
        let s = next();
        let columns = (0..4)
            .map(|i| {
                let shift = if i < drifted { 0.5 } else { 0.0 };
                (
                    format!("f{i}"),
                    normal(s + 10 * i, 800, 0.0, 1.0, 0.0),
                    normal(s + 10 * i + 1, 600, shift, 1.0, 0.0),
                )
            })
            .collect();
        cases.push(Case {
            name: format!("dataset_{drifted}_of_4_drifted"),
            columns,
            method: None,
        });
    }
    cases
}

fn ours(case: &Case) -> DriftReport {
    let reference: BTreeMap<String, Sample> = case
        .columns
        .iter()
        .map(|(name, r, _)| (name.clone(), Sample::from_column(r.clone())))
        .collect();
    let current = case
        .columns
        .iter()
        .map(|(name, _, c)| (name.clone(), c.clone()))
        .collect();
    let options = DriftOptions {
        default: Choice {
            method: case.method,
            threshold: None,
        },
        ..DriftOptions::default()
    };
    samples_drift(&reference, current, &options).expect("the columns fit their methods")
}

fn request(case: &Case) -> Value {
    let values = |data: &ColumnData| match data {
        ColumnData::Numeric(v) => json!(v
            .iter()
            .map(|x| x.is_finite().then_some(*x))
            .collect::<Vec<_>>()),
        ColumnData::Categorical(v) => json!(v.iter().collect::<Vec<_>>()),
    };
    let columns: serde_json::Map<String, Value> = case
        .columns
        .iter()
        .map(|(name, r, c)| {
            let kind = match r {
                ColumnData::Numeric(_) => "numeric",
                ColumnData::Categorical(_) => "categorical",
            };
            (
                name.clone(),
                json!({"kind": kind, "reference": values(r), "current": values(c)}),
            )
        })
        .collect();
    json!({"name": case.name, "columns": columns, "method": case.method.map(Method::name)})
}

/// Evidently's display name of a method.
fn display_name(method: Method) -> &'static str {
    match method {
        Method::Ks => "K-S p_value",
        Method::Wasserstein => "Wasserstein distance (normed)",
        Method::Psi => "PSI",
        Method::ChiSquare => "chi-square p_value",
        Method::JensenShannon => "Jensen-Shannon distance",
        Method::ZTest => "Z-test p_value",
    }
}

#[test]
fn every_method_decision_and_score_is_evidentlys() {
    let cases = cases();
    assert!(cases.len() >= 64, "{} cases", cases.len());
    let input = json!({"cases": cases.iter().map(request).collect::<Vec<_>>()});
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/evidently_drift.py");
    let evidently: Value =
        serde_json::from_str(&run_reference_python(&script, &input.to_string())).unwrap();

    let (mut features, mut borderline, mut drifted) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for case in &cases {
        let report = ours(case);
        let theirs = &evidently[&case.name];
        for feature in &report.features {
            features += 1;
            let their = &theirs["columns"][&feature.name];
            let their_score = their["score"].as_f64().unwrap();
            let threshold = feature.method.default_threshold();
            // Evidently's verdict on one column: the drifted-column count of
            // a one-column dataset.
            let their_drift = if case.columns.len() == 1 {
                theirs["drifted"].as_f64() == Some(1.0)
            } else {
                feature.drift_detected
            };
            let score = feature.score.expect("both sides have values");
            let close = (score - their_score).abs() <= 1e-9 + 1e-6 * their_score.abs();
            // Evidently names a forced method as it was given.
            let their_name = match case.method {
                Some(method) => method.name(),
                None => display_name(feature.method),
            };
            if their["method"] != their_name || their_drift != feature.drift_detected || !close {
                disagreements.push(format!(
                    "{} {}: ours {} {score} drift {}; Evidently {} {their_score} drift {their_drift}",
                    case.name,
                    feature.name,
                    display_name(feature.method),
                    feature.drift_detected,
                    their["method"],
                ));
            }
            borderline += usize::from((0.4..2.5).contains(&(score / threshold)));
            drifted += usize::from(feature.drift_detected);
        }
        let share = report.share_drifted;
        if (theirs["share"].as_f64().unwrap() - share).abs() > 1e-12 {
            disagreements.push(format!(
                "{}: share {share} vs {}",
                case.name, theirs["share"]
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    eprintln!("{features} features agree; {borderline} near the threshold, {drifted} drifted");
    // The cases must be able to catch a difference: many near the threshold,
    // and both verdicts well represented.
    assert!(borderline >= 25, "{borderline} borderline of {features}");
    assert!(
        drifted >= 15 && features - drifted >= 15,
        "{drifted} drifted of {features}"
    );
}
