use serde_json::json;

use super::*;

fn window(
    predictions: u64,
    estimate: f64,
    half_band: f64,
    labeled: u64,
    realized: f64,
) -> WindowEstimate {
    WindowEstimate {
        window_start: "2026-02-02T08:00:00Z".into(),
        predictions,
        accuracy_estimated: estimate,
        accuracy_estimated_lower: estimate - half_band,
        accuracy_estimated_upper: estimate + half_band,
        labeled,
        accuracy_realized: (labeled > 0).then_some(realized),
    }
}

#[test]
fn windows_add_up_weighted_by_predictions_with_their_bands_combined() {
    let windows = vec![
        window(1000, 0.9, 0.03, 0, 0.0),
        window(3000, 0.8, 0.03, 0, 0.0),
    ];
    let rows = [
        json!({"predictions": 1000, "f1_estimated": 0.5, "calibration_source": "validation"}),
        json!({"predictions": 3000, "f1_estimated": 0.7, "calibration_source": "labeled_windows", "calibration_ece": 0.01}),
    ];
    let refs: Vec<&Value> = rows.iter().collect();
    let v = summarize("1".into(), windows, &refs);
    assert!((v.accuracy_estimated - 0.825).abs() < 1e-12);
    // sd 0.01 per window: sqrt(1000^2 + 3000^2) * 0.01 / 4000 * 3.
    let half = 3.0 * (1000f64.powi(2) + 3000f64.powi(2)).sqrt() * 0.01 / 4000.0;
    assert!(
        (v.accuracy_estimated_upper - 0.825 - half).abs() < 1e-9,
        "{v:?}"
    );
    assert!((v.f1_estimated.unwrap() - 0.65).abs() < 1e-12);
    assert_eq!(v.precision_estimated, None);
    assert_eq!(
        (v.calibration_source.as_str(), v.calibration_ece),
        ("labeled_windows", Some(0.01))
    );
    assert_eq!(
        (v.labeled, v.accuracy_realized, v.labels_agree),
        (0, None, None)
    );
}

#[test]
fn labels_far_below_the_estimate_disagree() {
    let rows = [json!({"predictions": 1000}), json!({"predictions": 1000})];
    let refs: Vec<&Value> = rows.iter().collect();
    // The first window's labels agree; the second's are 10 points below.
    let agreeing = summarize(
        "1".into(),
        vec![window(1000, 0.95, 0.02, 900, 0.948)],
        &refs[..1],
    );
    assert_eq!(agreeing.labels_agree, Some(true));
    let v = summarize(
        "1".into(),
        vec![
            window(1000, 0.95, 0.02, 900, 0.948),
            window(1000, 0.95, 0.02, 800, 0.85),
        ],
        &refs,
    );
    assert_eq!(v.labeled, 1700);
    assert!((v.label_coverage - 0.85).abs() < 1e-12);
    let realized = (900.0 * 0.948 + 800.0 * 0.85) / 1700.0;
    assert!((v.accuracy_realized.unwrap() - realized).abs() < 1e-12);
    assert!((v.estimation_error.unwrap() - (realized - 0.95)).abs() < 1e-12);
    assert_eq!(v.labels_agree, Some(false));
}
