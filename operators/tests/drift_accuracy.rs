//! Streaming drift (a baseline against a window's sketches) against file mode
//! (both samples at hand, which evidently_conformance.rs checks against
//! Evidently itself): the same automatic method, sketch-based KS and
//! Wasserstein within the bounds of the operators issue, and the binned
//! statistics equal to those of the raw current data on the same baseline
//! bins.

use std::collections::BTreeMap;

use mlobs_operators::baseline::{Baseline, ColumnData};
use mlobs_operators::drift::dataset::{columns_drift, samples_drift, window_drift, Reference};
use mlobs_operators::drift::samples::Sample;
use mlobs_operators::drift::{DriftOptions, FeatureDrift, Kind, Status};
use mlobs_operators::sketch::{CategoricalSketch, FeatureSketch, FeatureSpec, NumericSketch};
use mlobs_testkit::TestRng;

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

/// The three ways to test feature "x": file mode (both samples at hand),
/// the baseline against the raw current column, and the baseline against a
/// window's sketch of it.
struct Results {
    samples: FeatureDrift,
    on_bins: FeatureDrift,
    sketched: FeatureDrift,
}

fn results(case: &Case) -> Results {
    let options = DriftOptions::default();
    let reference_columns = vec![("x".to_string(), case.reference.clone())];
    let current_columns = vec![("x".to_string(), case.current.clone())];
    let samples = BTreeMap::from([("x".to_string(), Sample::from_column(case.reference.clone()))]);
    let samples = samples_drift(&samples, current_columns.clone(), &options).unwrap();
    let baseline = Baseline::build(&reference_columns);
    let reference = Reference::from_baseline(&baseline);
    let on_bins = columns_drift(&reference, current_columns, &options).unwrap();
    let spec = baseline.spec("x").unwrap();
    let (sketch, rows) = match (&case.current, &spec) {
        (ColumnData::Numeric(values), FeatureSpec::Numeric(spec)) => {
            let mut s = NumericSketch::new(spec);
            values.iter().for_each(|v| s.add(Some(*v), spec));
            (FeatureSketch::Numeric(s), values.len())
        }
        (ColumnData::Categorical(values), FeatureSpec::Categorical(spec)) => {
            let mut s = CategoricalSketch::default();
            values.iter().for_each(|v| s.add(v, spec));
            (FeatureSketch::Categorical(s), values.len())
        }
        _ => unreachable!("same kind"),
    };
    let sketches = BTreeMap::from([("x".to_string(), sketch)]);
    let sketched = window_drift(&reference, &sketches, rows as u64, &options).unwrap();
    Results {
        samples: samples.features[0].clone(),
        on_bins: on_bins.features[0].clone(),
        sketched: sketched.features[0].clone(),
    }
}

fn close(name: &str, what: &str, ours: Option<f64>, exact: Option<f64>, tolerance: f64) {
    let ours = ours.unwrap_or_else(|| panic!("{name}: our {what} is null"));
    let exact = exact.unwrap_or_else(|| panic!("{name}: the exact {what} is null"));
    assert!(
        (ours - exact).abs() <= tolerance,
        "{name}: {what} is {ours}, exact {exact} (tolerance {tolerance})"
    );
}

#[test]
fn streaming_drift_agrees_with_file_mode() {
    for case in cases() {
        let name = case.name;
        let Results {
            samples,
            on_bins,
            sketched,
        } = results(&case);
        let (exact, binned, sketch) = (samples.statistics, on_bins.statistics, sketched.statistics);
        eprintln!(
            "{name}: KS exact {:?} sketch {:?}; W exact {:?} sketch {:?}; method {:?}",
            exact.ks_statistic,
            sketch.ks_statistic,
            exact.wasserstein,
            sketch.wasserstein,
            sketched.method
        );
        assert_eq!(
            sketched.method, samples.method,
            "{name}: the automatic method"
        );
        if samples.kind == Kind::Numeric {
            close(
                name,
                "sketch KS statistic",
                sketch.ks_statistic,
                exact.ks_statistic,
                0.01,
            );
            let w = exact.wasserstein.unwrap();
            close(
                name,
                "sketch Wasserstein",
                sketch.wasserstein,
                Some(w),
                (0.02 * w).max(1e-3),
            );
        }
        for (what, ours, raw) in [
            ("PSI", sketch.psi, binned.psi),
            (
                "Jensen-Shannon",
                sketch.jensen_shannon,
                binned.jensen_shannon,
            ),
            (
                "chi-square p-value",
                sketch.chi2_p_value,
                binned.chi2_p_value,
            ),
            ("z-test p-value", sketch.z_p_value, binned.z_p_value),
        ] {
            if raw.is_some() || ours.is_some() {
                close(
                    name,
                    &format!("{what} on the baseline bins"),
                    ours,
                    raw,
                    1e-9,
                );
            }
        }
    }
}

#[test]
fn degenerate_columns_give_defined_results() {
    let reference = vec![("x".to_string(), ColumnData::Numeric(vec![1.0, 2.0, 3.0]))];
    let options = DriftOptions::default();
    for current in [vec![], vec![f64::NAN; 10]] {
        let current = vec![("x".to_string(), ColumnData::Numeric(current))];
        let report = file_mode(&reference, current, &options);
        let f = &report.features[0];
        assert_eq!(
            f.status,
            Status::Missing,
            "a feature that disappeared is missing"
        );
        assert!(!f.drift_detected && !report.dataset_drift);
        assert_eq!((f.score, f.statistics.ks_statistic), (None, None));
        let json = serde_json::to_string(&report).unwrap();
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    }
    let empty = vec![("x".to_string(), ColumnData::Numeric(vec![f64::NAN; 5]))];
    let report = file_mode(&empty, empty.clone(), &options);
    assert_eq!(
        report.features[0].status,
        Status::NotMonitored,
        "nothing in the reference: nothing to test"
    );
    let constant = vec![("x".to_string(), ColumnData::Numeric(vec![4.0; 20]))];
    let report = file_mode(&constant, constant.clone(), &options);
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

fn file_mode(
    reference: &[(String, ColumnData)],
    current: Vec<(String, ColumnData)>,
    options: &DriftOptions,
) -> mlobs_operators::drift::DriftReport {
    let samples = reference
        .iter()
        .map(|(name, data)| (name.clone(), Sample::from_column(data.clone())))
        .collect();
    samples_drift(&samples, current, options).unwrap()
}

#[test]
fn a_feature_that_stops_arriving_is_missing_and_a_window_without_features_is_not_monitored() {
    let reference = vec![
        (
            "a".to_string(),
            ColumnData::Numeric((0..500).map(f64::from).collect()),
        ),
        (
            "b".to_string(),
            ColumnData::Numeric((0..500).map(|i| f64::from(i % 7)).collect()),
        ),
    ];
    let baseline = Reference::from_baseline(&Baseline::build(&reference));
    let options = DriftOptions::default();
    let FeatureSpec::Numeric(spec) = Baseline::build(&reference).spec("a").unwrap() else {
        unreachable!("numeric")
    };
    let mut a = NumericSketch::new(&spec);
    (0..500).for_each(|i| a.add(Some(f64::from(i)), &spec));
    // Only a arrives: b is missing, a is tested.
    let sketches = BTreeMap::from([("a".to_string(), FeatureSketch::Numeric(a))]);
    let report = window_drift(&baseline, &sketches, 500, &options).unwrap();
    let status = |name: &str| {
        report
            .features
            .iter()
            .find(|f| f.name == name)
            .unwrap()
            .status
    };
    assert_eq!((status("a"), status("b")), (Status::Ok, Status::Missing));
    assert!(!report.dataset_drift);
    // Nothing arrives at all (features hashed): neither is monitored.
    let report = window_drift(&baseline, &BTreeMap::new(), 300, &options).unwrap();
    assert!(report
        .features
        .iter()
        .all(|f| f.status == Status::NotMonitored));
    assert_eq!((report.dataset_drift, report.share_drifted), (false, 0.0));
}
