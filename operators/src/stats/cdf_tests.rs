use super::*;

/// Brute force: the KS statistic by evaluating both ECDFs at every data point.
fn brute_ks(a: &[f64], b: &[f64]) -> f64 {
    let ecdf = |s: &[f64], x: f64| s.iter().filter(|v| **v <= x).count() as f64 / s.len() as f64;
    a.iter()
        .chain(b)
        .map(|&x| (ecdf(a, x) - ecdf(b, x)).abs())
        .fold(0.0, f64::max)
}

/// Brute force: scipy's wasserstein_distance definition, sum |U - V| dx over
/// the sorted pooled values.
fn brute_wasserstein(a: &[f64], b: &[f64]) -> f64 {
    let ecdf = |s: &[f64], x: f64| s.iter().filter(|v| **v <= x).count() as f64 / s.len() as f64;
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_by(f64::total_cmp);
    all.windows(2)
        .map(|w| (ecdf(a, w[0]) - ecdf(b, w[0])).abs() * (w[1] - w[0]))
        .sum()
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

#[test]
fn exact_samples_match_brute_force_including_ties() {
    let a = sorted(vec![1.0, 2.0, 2.0, 3.0, 7.5, 7.5, 7.5, 10.0]);
    let b = sorted(vec![0.5, 2.0, 3.0, 3.0, 4.0, 9.0]);
    let (ca, cb) = (PiecewiseCdf::from_sorted(&a), PiecewiseCdf::from_sorted(&b));
    assert!((ks_statistic(&ca, &cb) - brute_ks(&a, &b)).abs() < 1e-12);
    assert!((wasserstein(&ca, &cb) - brute_wasserstein(&a, &b)).abs() < 1e-12);
    assert_eq!(ks_statistic(&ca, &ca), 0.0);
    assert_eq!(wasserstein(&ca, &ca), 0.0);
}

#[test]
fn shifted_uniform_samples_have_known_distances() {
    let a: Vec<f64> = (0..1000).map(|i| i as f64 / 1000.0).collect();
    let b: Vec<f64> = a.iter().map(|x| x + 0.25).collect();
    let (ca, cb) = (PiecewiseCdf::from_sorted(&a), PiecewiseCdf::from_sorted(&b));
    assert!((ks_statistic(&ca, &cb) - brute_ks(&a, &b)).abs() < 1e-12);
    assert!((ks_statistic(&ca, &cb) - 0.25).abs() < 0.0011);
    assert!((wasserstein(&ca, &cb) - 0.25).abs() < 1e-9);
}

#[test]
fn digests_approximate_the_exact_distances() {
    let n = 50_000;
    let a: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % n) as f64 / n as f64)
        .map(|u| (u * 6.0 - 3.0).powi(3))
        .collect();
    let b: Vec<f64> = a.iter().map(|x| x * 1.1 + 0.2).collect();
    let exact = (
        PiecewiseCdf::from_sorted(&sorted(a.clone())),
        PiecewiseCdf::from_sorted(&sorted(b.clone())),
    );
    let sketch = (
        PiecewiseCdf::from_digest(&TDigest::from_values(a.iter().copied())),
        PiecewiseCdf::from_digest(&TDigest::from_values(b.iter().copied())),
    );
    let (ks_exact, ks_sketch) = (
        ks_statistic(&exact.0, &exact.1),
        ks_statistic(&sketch.0, &sketch.1),
    );
    assert!(
        (ks_exact - ks_sketch).abs() < 0.01,
        "{ks_exact} vs {ks_sketch}"
    );
    let (w_exact, w_sketch) = (
        wasserstein(&exact.0, &exact.1),
        wasserstein(&sketch.0, &sketch.1),
    );
    assert!(
        (w_exact - w_sketch).abs() / w_exact < 0.02,
        "{w_exact} vs {w_sketch}"
    );
}

#[test]
fn empty_distributions_are_defined() {
    let empty = PiecewiseCdf::default();
    let one = PiecewiseCdf::from_sorted(&[1.0]);
    assert!(empty.is_empty());
    assert_eq!(ks_statistic(&empty, &empty), 0.0);
    assert_eq!(wasserstein(&empty, &empty), 0.0);
    assert_eq!(ks_statistic(&one, &one), 0.0);
    assert!(PiecewiseCdf::from_digest(&TDigest::default()).is_empty());
}

#[test]
fn the_interpolation_error_is_the_largest_linear_rise() {
    assert_eq!(
        PiecewiseCdf::from_sorted(&[1.0, 2.0, 2.0, 5.0]).interpolation_error(),
        0.0
    );
    // Ranks 0 and 9 of 10 known: the CDF rises from 0.1 to 0.9 in one piece.
    let ranked = PiecewiseCdf::from_ranks([(0, 1.0), (9, 2.0)], 10);
    assert!((ranked.interpolation_error() - 0.8).abs() < 1e-12);
}
