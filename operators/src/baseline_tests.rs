use super::*;

fn numeric(values: &[f64]) -> ColumnData {
    ColumnData::Numeric(values.to_vec())
}

#[test]
fn numeric_profile_has_exact_summary_statistics() {
    let values: Vec<f64> = (1..=2000).map(|i| i as f64).collect();
    let baseline = Baseline::build(&[("x".into(), numeric(&values))]);
    let FeatureProfile::Numeric(p) = &baseline.features["x"] else {
        panic!("numeric")
    };
    let s = &p.summary;
    assert_eq!((s.count, s.missing, p.unique), (2000, 0, 2000));
    assert_eq!(s.mean, Some(1000.5));
    assert!((s.std.unwrap() - (2000f64 * 2000.0 - 1.0).sqrt() / 12f64.sqrt()).abs() < 1e-9);
    assert_eq!((s.min, s.max), (Some(1.0), Some(2000.0)));
    // numpy.percentile(range(1, 2001), 25) == 500.75
    assert!((p.percentiles["p25"] - 500.75).abs() < 1e-9);
    assert_eq!(p.bin_edges.len(), BINS - 1);
    assert!((p.bin_frequencies.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(
        p.bin_frequencies.iter().all(|f| (f - 0.1).abs() < 1e-3),
        "{:?}",
        p.bin_frequencies
    );
    assert_eq!(
        p.sample.len(),
        2000,
        "the whole column, under the exact limit"
    );
    assert_eq!(p.sample_ranks, None);
    assert_eq!(p.values, None);
    let kept = Baseline::build_exact_up_to(&[("x".into(), numeric(&values))], 100);
    let FeatureProfile::Numeric(p) = &kept.features["x"] else {
        panic!("numeric")
    };
    assert_eq!(p.sample.len(), 2000, "too few rows to keep fewer");
    let large: Vec<f64> = (0..50_000).map(|i| i as f64).collect();
    let FeatureProfile::Numeric(p) =
        &Baseline::build_exact_up_to(&[("x".into(), numeric(&large))], 100).features["x"]
    else {
        panic!("numeric")
    };
    let ranks = p.sample_ranks.as_ref().expect("kept at ranks");
    assert_eq!(ranks.len(), p.sample.len());
    assert!(
        ranks.iter().zip(&p.sample).all(|(r, v)| *r as f64 == *v),
        "value at its rank"
    );
}

#[test]
fn discrete_and_small_columns_are_kept_exactly() {
    let values: Vec<f64> = (0..300).map(|i| (i % 3) as f64).collect();
    let baseline = Baseline::build(&[("kids".into(), numeric(&values))]);
    let FeatureProfile::Numeric(p) = &baseline.features["kids"] else {
        panic!("numeric")
    };
    assert_eq!(p.bin_edges, vec![0.0, 1.0, 2.0]);
    assert_eq!(p.values, Some(vec![(0.0, 100), (1.0, 100), (2.0, 100)]));
    assert_eq!(p.sample.len(), 300, "a small column is kept whole");
}

#[test]
fn constant_and_all_missing_columns_are_defined() {
    let baseline = Baseline::build(&[
        ("constant".into(), numeric(&[4.0; 50])),
        ("empty".into(), ColumnData::Numeric(vec![f64::NAN; 50])),
    ]);
    let FeatureProfile::Numeric(c) = &baseline.features["constant"] else {
        panic!()
    };
    assert_eq!(
        (c.summary.std, c.unique, c.bin_edges.clone()),
        (Some(0.0), 1, vec![4.0])
    );
    let FeatureProfile::Numeric(e) = &baseline.features["empty"] else {
        panic!()
    };
    assert_eq!(
        (e.summary.count, e.summary.missing, e.summary.mean),
        (0, 50, None)
    );
    assert!(e.percentiles.is_empty() && e.bin_edges.is_empty());
    let json = baseline.to_json();
    assert!(!json.contains("NaN"), "{json}");
    assert_eq!(Baseline::from_json(&json).unwrap(), baseline);
}

#[test]
fn categorical_profile_counts_frequencies_and_missing() {
    let values: Vec<Option<String>> = ["a", "b", "a", "c"]
        .iter()
        .map(|s| Some(s.to_string()))
        .chain([None])
        .collect();
    let baseline = Baseline::build(&[(
        "plan".into(),
        ColumnData::Categorical(values.into_iter().collect()),
    )]);
    let FeatureProfile::Categorical(p) = &baseline.features["plan"] else {
        panic!()
    };
    assert_eq!((p.count, p.missing, p.unique, p.other), (4, 1, 3, 0));
    assert_eq!(p.frequencies["a"], 0.5);
    assert!((p.missing_rate - 0.2).abs() < 1e-12);
}

#[test]
fn a_newer_or_foreign_file_is_refused_with_a_reason() {
    let mut baseline = Baseline::build(&[]);
    baseline.format_version = FORMAT_VERSION + 1;
    let err = Baseline::from_json(&baseline.to_json())
        .unwrap_err()
        .to_string();
    assert!(err.contains("upgrade mlobs"), "{err}");
    let err = Baseline::from_json("{\"rows\": 3}")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an mlobs baseline"), "{err}");
}

#[test]
fn sorting_as_integers_is_sorting_as_numbers() {
    let mut rng = mlobs_testkit::TestRng::new(11);
    let mut values: Vec<f64> = (0..10_000)
        .map(|_| (rng.uniform() - 0.5) * 10f64.powi((rng.uniform() * 40.0) as i32 - 20))
        .collect();
    values.extend([
        0.0,
        -0.0,
        f64::MIN_POSITIVE / 2.0,
        -f64::MAX,
        f64::MAX,
        f64::NAN,
        f64::INFINITY,
    ]);
    let mut expected: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    expected.sort_unstable_by(f64::total_cmp);
    let sorted = sorted_finite(values);
    assert_eq!(
        sorted.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        expected.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
}
