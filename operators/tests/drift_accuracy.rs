//! Drift statistics against exact computations with scipy (the reference
//! Python that `make test` installs): sketch-based numbers within the bounds
//! of the operators issue, exact ones equal, binned ones equal on the same
//! bins, p-values equal to scipy's formulas for the same statistic and sizes.

use std::collections::BTreeMap;
use std::path::Path;

use mlobs_operators::baseline::{Baseline, ColumnData, FeatureProfile};
use mlobs_operators::drift::dataset::{columns_drift, window_drift, Reference};
use mlobs_operators::drift::{DriftOptions, FeatureDrift};
use mlobs_operators::sketch::{CategoricalSketch, FeatureSketch, FeatureSpec, NumericSketch};
use mlobs_testkit::{run_reference_python, TestRng};
use serde_json::{json, Value};

struct Case {
    name: &'static str,
    reference: ColumnData,
    current: ColumnData,
}

fn rng(seed: u8) -> TestRng {
    TestRng::new(u64::from(seed))
}

fn normal(rng: &mut TestRng) -> f64 {
    rng.normal()
}

fn numbers(seed: u8, n: usize, f: impl Fn(&mut TestRng) -> f64) -> ColumnData {
    let mut rng = rng(seed);
    ColumnData::Numeric((0..n).map(|_| f(&mut rng)).collect())
}

fn labels(seed: u8, n: usize, weights: &[(&str, f64)]) -> ColumnData {
    let mut rng = rng(seed);
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    let draw = |rng: &mut TestRng| {
        let mut target = rng.uniform() * total;
        for (label, w) in weights {
            if target < *w {
                return Some(label.to_string());
            }
            target -= w;
        }
        Some(weights[weights.len() - 1].0.to_string())
    };
    ColumnData::Categorical((0..n).map(|_| draw(&mut rng)).collect())
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "normal_shift",
            reference: numbers(1, 5000, normal),
            current: numbers(2, 3000, |r| 0.3 + 1.2 * normal(r)),
        },
        Case {
            name: "lognormal_heavy_tail",
            reference: numbers(3, 4000, |r| (1.5 * normal(r)).exp()),
            current: numbers(4, 4000, |r| (0.2 + 1.5 * normal(r)).exp()),
        },
        Case {
            name: "pareto_tail",
            reference: numbers(5, 3000, |r| (1.0 - r.uniform()).powf(-1.0 / 1.2)),
            current: numbers(6, 2000, |r| (1.0 - r.uniform()).powf(-1.0 / 1.1)),
        },
        Case {
            name: "integers_with_ties",
            reference: numbers(7, 3000, |r| (5.0 * normal(r)).abs().floor()),
            current: numbers(8, 2500, |r| (1.0 + 5.0 * normal(r)).abs().floor()),
        },
        Case {
            name: "three_values",
            reference: numbers(9, 2000, |r| (r.uniform() * 3.0).floor()),
            current: numbers(10, 1500, |r| (r.uniform() * 2.5).floor()),
        },
        Case {
            name: "small_reference",
            reference: numbers(11, 500, normal),
            current: numbers(12, 200, |r| 0.5 + normal(r)),
        },
        Case {
            name: "one_row_window",
            reference: numbers(13, 2000, normal),
            current: ColumnData::Numeric(vec![0.3]),
        },
        Case {
            name: "constant_unchanged",
            reference: numbers(14, 1000, |_| 4.0),
            current: numbers(15, 300, |_| 4.0),
        },
        Case {
            name: "constant_moved",
            reference: numbers(16, 1000, |_| 4.0),
            current: numbers(17, 300, |_| 5.0),
        },
        Case {
            name: "with_missing_values",
            reference: numbers(18, 3000, |r| {
                if r.uniform() < 0.1 {
                    f64::NAN
                } else {
                    normal(r)
                }
            }),
            current: numbers(19, 2000, |r| {
                if r.uniform() < 0.3 {
                    f64::NAN
                } else {
                    0.1 + normal(r)
                }
            }),
        },
        Case {
            name: "categories_with_a_new_one",
            reference: labels(20, 3000, &[("a", 0.5), ("b", 0.3), ("c", 0.2)]),
            current: labels(21, 2000, &[("a", 0.4), ("b", 0.3), ("c", 0.2), ("d", 0.1)]),
        },
        Case {
            name: "binary_category",
            reference: labels(22, 800, &[("yes", 0.3), ("no", 0.7)]),
            current: labels(23, 600, &[("yes", 0.4), ("no", 0.6)]),
        },
    ]
}

/// Our results: exact (both columns at hand) and sketched (baseline against
/// a window sketch), for the single feature "x".
fn ours(case: &Case) -> (FeatureDrift, FeatureDrift, Baseline) {
    let options = DriftOptions::default();
    let reference_columns = vec![("x".to_string(), case.reference.clone())];
    let current_columns = vec![("x".to_string(), case.current.clone())];
    let exact = columns_drift(
        &Reference::from_columns(reference_columns.clone()),
        current_columns,
        &options,
    )
    .unwrap();
    let baseline = Baseline::build(&reference_columns);
    let spec = baseline.spec("x").unwrap();
    let (sketch, rows) = match (&case.current, &spec) {
        (ColumnData::Numeric(values), FeatureSpec::Numeric(spec)) => {
            let mut s = NumericSketch::new(spec);
            values.iter().for_each(|v| s.add(Some(*v), spec));
            (FeatureSketch::Numeric(s), values.len())
        }
        (ColumnData::Categorical(values), FeatureSpec::Categorical(spec)) => {
            let mut s = CategoricalSketch::default();
            values.iter().for_each(|v| s.add(v.as_deref(), spec));
            (FeatureSketch::Categorical(s), values.len())
        }
        _ => unreachable!("same kind"),
    };
    let sketches = BTreeMap::from([("x".to_string(), sketch)]);
    let sketched = window_drift(
        &Reference::from_baseline(&baseline),
        &sketches,
        rows as u64,
        &options,
    )
    .unwrap();
    (
        exact.features[0].clone(),
        sketched.features[0].clone(),
        baseline,
    )
}

fn values_json(data: &ColumnData) -> Value {
    match data {
        ColumnData::Numeric(v) => json!(v
            .iter()
            .map(|x| x.is_finite().then_some(*x))
            .collect::<Vec<_>>()),
        ColumnData::Categorical(v) => json!(v),
    }
}

fn close(name: &str, what: &str, ours: Option<f64>, exact: f64, tolerance: f64) {
    let ours = ours.unwrap_or_else(|| panic!("{name}: our {what} is null"));
    assert!(
        (ours - exact).abs() <= tolerance,
        "{name}: {what} is {ours}, exact {exact} (tolerance {tolerance})"
    );
}

#[test]
fn drift_statistics_match_exact_computations() {
    let cases = cases();
    let mut requests = Vec::new();
    let mut results = Vec::new();
    for case in &cases {
        let (exact, sketched, baseline) = ours(case);
        let (kind, edges, categories) = match &baseline.features["x"] {
            FeatureProfile::Numeric(p) => ("numeric", p.bin_edges.clone(), vec![]),
            FeatureProfile::Categorical(p) => {
                ("categorical", vec![], p.counts.keys().cloned().collect())
            }
        };
        requests.push(json!({
            "name": case.name, "kind": kind, "edges": edges, "categories": categories,
            "reference": values_json(&case.reference), "current": values_json(&case.current),
            "ours": serde_json::to_value(&sketched).unwrap(),
        }));
        results.push((case.name, exact, sketched));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/drift_reference.py");
    let scipy: Value = serde_json::from_str(&run_reference_python(
        &script,
        &json!({ "cases": requests }).to_string(),
    ))
    .unwrap();

    for (name, exact, sketched) in results {
        let s = &scipy[name];
        let get = |key: &str| {
            s[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{name}: scipy gave no {key}"))
        };
        let stats = (exact.statistics, sketched.statistics);
        eprintln!(
            "{name}: KS exact {:?} sketch {:?} scipy {:?}; W exact {:?} sketch {:?} scipy {:?}; method {:?} drift {}",
            stats.0.ks_statistic, stats.1.ks_statistic, s.get("ks_statistic"),
            stats.0.wasserstein, stats.1.wasserstein, s.get("wasserstein"), sketched.method, sketched.drift_detected
        );
        if exact.kind == mlobs_operators::drift::Kind::Numeric {
            // Both samples at hand: exact.
            close(
                name,
                "exact KS statistic",
                stats.0.ks_statistic,
                get("ks_statistic"),
                1e-12,
            );
            close(
                name,
                "exact KS p-value",
                stats.0.ks_p_value,
                get("ks_p_value"),
                1e-6,
            );
            let w = get("wasserstein");
            close(
                name,
                "exact Wasserstein",
                stats.0.wasserstein,
                w,
                1e-9 * w.max(1.0),
            );
            // Baseline against a window sketch: within the bounds.
            close(
                name,
                "sketch KS statistic",
                stats.1.ks_statistic,
                get("ks_statistic"),
                0.01,
            );
            close(
                name,
                "KS p-value of our statistic",
                stats.1.ks_p_value,
                get("ks_p_value_of_ours"),
                1e-6,
            );
            close(
                name,
                "sketch Wasserstein",
                stats.1.wasserstein,
                w,
                (0.02 * w).max(1e-3),
            );
        }
        for (label, st) in [("exact", stats.0), ("sketch", stats.1)] {
            close(name, &format!("{label} PSI"), st.psi, get("psi"), 1e-9);
            close(
                name,
                &format!("{label} Jensen-Shannon"),
                st.jensen_shannon,
                get("jensen_shannon"),
                1e-9,
            );
            if st.chi2_statistic.is_some() {
                let chi2 = get("chi2_statistic");
                close(
                    name,
                    &format!("{label} chi-square"),
                    st.chi2_statistic,
                    chi2,
                    1e-9 * chi2.max(1.0),
                );
                close(
                    name,
                    &format!("{label} chi-square p-value"),
                    st.chi2_p_value,
                    get("chi2_p_value"),
                    1e-6,
                );
            }
            if st.z_p_value.is_some() {
                close(
                    name,
                    &format!("{label} z-test p-value"),
                    st.z_p_value,
                    get("z_p_value"),
                    1e-9,
                );
            }
        }
        if let Some(p) = s.get("chi2_p_value_of_ours").and_then(Value::as_f64) {
            close(
                name,
                "chi-square p-value of our statistic",
                stats.1.chi2_p_value,
                p,
                1e-6,
            );
        }
    }
}

#[test]
fn degenerate_columns_give_defined_results() {
    let reference = vec![("x".to_string(), ColumnData::Numeric(vec![1.0, 2.0, 3.0]))];
    let options = DriftOptions::default();
    for current in [vec![], vec![f64::NAN; 10]] {
        let current = vec![("x".to_string(), ColumnData::Numeric(current))];
        let report = columns_drift(
            &Reference::from_columns(reference.clone()),
            current,
            &options,
        )
        .unwrap();
        let f = &report.features[0];
        assert!(f.drift_detected, "a feature that disappeared has drifted");
        assert_eq!((f.score, f.statistics.ks_statistic), (None, None));
        let json = serde_json::to_string(&report).unwrap();
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    }
    let empty = vec![("x".to_string(), ColumnData::Numeric(vec![f64::NAN; 5]))];
    let report = columns_drift(&Reference::from_columns(empty.clone()), empty, &options).unwrap();
    assert!(
        !report.features[0].drift_detected,
        "nothing on either side: nothing drifted"
    );
    let constant = vec![("x".to_string(), ColumnData::Numeric(vec![4.0; 20]))];
    let report = columns_drift(
        &Reference::from_columns(constant.clone()),
        constant,
        &options,
    )
    .unwrap();
    let f = &report.features[0];
    assert_eq!(
        (
            f.statistics.ks_statistic,
            f.statistics.wasserstein_normalized
        ),
        (Some(0.0), Some(0.0))
    );
    assert!(!f.drift_detected);
}
