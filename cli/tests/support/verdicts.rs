//! What the shipped scenarios should give, asserted on window results.

use serde_json::Value;

/// Asserts the drift verdicts of `scenarios/drift.toml`'s windows (10-minute
/// windows): nothing drifts before 10:00, only `monthly_charges` from then
/// on (the scenario scales it); every window with predictions is tested.
pub fn assert_drift_scenario_verdicts(windows: &Value) {
    let with_predictions: Vec<&Value> = windows
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["predictions"].as_u64() > Some(0))
        .collect();
    assert!(!with_predictions.is_empty(), "no window with predictions");
    for window in with_predictions {
        let start = window["window_start"].as_str().unwrap();
        let tested = window["drift"].as_array().unwrap();
        assert!(!tested.is_empty(), "window {start} has no drift results");
        let drifted: Vec<&str> = tested
            .iter()
            .filter(|d| d["drift_detected"] == true)
            .map(|d| d["feature"].as_str().unwrap())
            .collect();
        let expected: &[&str] = if start < "2026-01-05T10:00:00Z" {
            &[]
        } else {
            &["monthly_charges"]
        };
        assert_eq!(drifted, expected, "window {start}");
    }
}
