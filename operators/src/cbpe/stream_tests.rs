use super::*;

const MINUTE: i64 = 60_000;

/// Outcomes of a model that says `confidence` and is right `right` of
/// `n` times.
fn outcomes(confidence: f64, n: u64, right: u64) -> LabeledCounts {
    let mut counts = LabeledCounts::default();
    for i in 0..n {
        counts.add("yes", confidence, Tally::of(i < right), 10);
    }
    counts
}

/// A window of `n` predictions at `confidence`, with `labeled` outcomes
/// (at `confidence`, `right` of them right) of the window at `made`.
fn window(n: u64, confidence: f64, labeled: (i64, u64, u64)) -> MetricsPartial {
    let mut metrics = MetricsPartial::default();
    for _ in 0..n {
        metrics.confidences.add("yes", confidence, 1, 10);
    }
    let (made, count, right) = labeled;
    if count > 0 {
        metrics.labeled_confidences = outcomes(confidence, count, right);
        metrics.outcomes_by_prediction_window.insert(
            made,
            Tally {
                labeled: count,
                correct: right,
            },
        );
    }
    metrics
}

/// A model that says 0.9 and is right 70% of the time.
fn overconfident() -> Validation {
    Validation {
        positive_class: Some("yes".into()),
        outcomes: outcomes(0.9, 2_000, 1_400),
    }
}

const SERIES: (&str, &str, &str) = ("m", "1", "production");

#[test]
fn the_validation_outcomes_calibrate_the_first_window() {
    let mut estimator = Estimator::default();
    let (window, checks) = estimator.on_window(
        SERIES,
        0,
        &window(500, 0.9, (0, 0, 0)),
        Some(&overconfident()),
    );
    let estimate = window.estimate.unwrap();
    assert_eq!(window.source, Source::Validation);
    assert!((estimate.accuracy - 0.7).abs() < 0.01, "{estimate:?}");
    assert!(window.ece.unwrap() < 0.05, "{window:?}");
    assert!(
        estimate.binary.is_some(),
        "the baseline names the positive class"
    );
    assert!(checks.is_empty());
}

#[test]
fn without_validation_the_first_labeled_windows_calibrate() {
    let mut estimator = Estimator::default();
    let (first, _) = estimator.on_window(SERIES, 0, &window(500, 0.9, (0, 600, 420)), None);
    assert_eq!(first.source, Source::None);
    assert!((first.estimate.unwrap().accuracy - 0.9).abs() < 0.01);
    let (second, _) = estimator.on_window(SERIES, MINUTE, &window(500, 0.9, (0, 600, 420)), None);
    assert_eq!(second.source, Source::LabeledWindows);
    assert!((second.estimate.unwrap().accuracy - 0.7).abs() < 0.01);
}

#[test]
fn labels_that_disagree_are_reported_and_not_learned() {
    let mut estimator = Estimator::default();
    let validation = overconfident();
    estimator.on_window(SERIES, 0, &window(1_000, 0.9, (0, 0, 0)), Some(&validation));
    // The window's labels: 1,000 of 1,000, and only 40% right.
    let (later, checks) = estimator.on_window(
        SERIES,
        MINUTE,
        &window(1_000, 0.9, (0, 1_000, 400)),
        Some(&validation),
    );
    assert_eq!(later.source, Source::Validation, "not learned from");
    assert!((later.estimate.unwrap().accuracy - 0.7).abs() < 0.01);
    let [check] = checks[..] else {
        panic!("{checks:?}")
    };
    assert_eq!((check.window_start, check.labeled), (0, 1_000));
    assert!(
        (check.error() + 0.3).abs() < 0.01 && check.out_of_band(),
        "{check:?}"
    );
}

#[test]
fn labels_that_agree_stay_in_band_and_refresh_the_calibration() {
    let mut estimator = Estimator::default();
    let validation = overconfident();
    estimator.on_window(SERIES, 0, &window(1_000, 0.9, (0, 0, 0)), Some(&validation));
    let labeled = window(1_000, 0.9, (0, 1_000, 705));
    let (later, checks) = estimator.on_window(SERIES, MINUTE, &labeled, Some(&validation));
    assert_eq!(later.source, Source::LabeledWindows);
    assert!(!checks[0].out_of_band(), "{checks:?}");
    // The same label window again (a late partial re-emits it): its
    // outcomes replace their first count.
    let (_, again) = estimator.on_window(SERIES, MINUTE, &labeled, Some(&validation));
    assert_eq!(again[0].labeled, 1_000);
}

#[test]
fn a_window_is_checked_once_half_of_it_is_labeled() {
    let mut estimator = Estimator::default();
    let validation = overconfident();
    estimator.on_window(SERIES, 0, &window(1_000, 0.9, (0, 0, 0)), Some(&validation));
    let (_, early) = estimator.on_window(
        SERIES,
        MINUTE,
        &window(0, 0.9, (0, 400, 280)),
        Some(&validation),
    );
    assert!(early.is_empty(), "400 of 1,000 labeled");
    let (_, later) = estimator.on_window(
        SERIES,
        2 * MINUTE,
        &window(0, 0.9, (0, 200, 140)),
        Some(&validation),
    );
    assert_eq!(later[0].labeled, 600);
    // The band of 600 labeled is wider than the window's own.
    assert!(later[0].half_band > 0.04, "{later:?}");
}
