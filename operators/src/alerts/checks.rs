//! One window measured against one rule. A check that cannot be made (too
//! few labels, no tested feature, no predictions) is not made: the
//! lifecycle treats its absence as "no evidence", never as "healthy".

use std::collections::{BTreeMap, VecDeque};

use mlobs_schemas::WindowMetrics;

use super::{AlertThresholds, RuleId};

/// A rule's measurement in one window.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The rule measured.
    pub rule: RuleId,
    /// What the rule is about within the version: the feature for
    /// `feature_drift`, the error type for `error_rate`, empty otherwise.
    pub subject: String,
    /// Whether the condition holds (the bad case).
    pub breached: bool,
    /// The metric's name, as in `AlertEvidence.metric`.
    pub metric: String,
    /// The measured value.
    pub value: f64,
    /// The value it was compared with.
    pub threshold: f64,
    /// One line for a pager, true whether breached or not.
    pub summary: String,
    /// Context the agent reads.
    pub details: BTreeMap<String, String>,
}

/// The recent healthy values of the "fell" rules of one version.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trailing {
    /// Predictions per window.
    pub volume: VecDeque<f64>,
    /// Share of predictions labeled.
    pub coverage: VecDeque<f64>,
}

/// Every check of the per-window rules (all but `version_regression`, which
/// compares two versions). `watched_error_types` are error types with an
/// alert pending or firing: their rate is measured (as 0) in a window
/// without such errors, so that their alert can resolve.
pub fn window_checks(
    window: &WindowMetrics,
    thresholds: &AlertThresholds,
    dataset_share: f64,
    trailing: &Trailing,
    watched_error_types: &[&str],
) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.extend(accuracy(window, thresholds));
    checks.extend(estimated_accuracy(window, thresholds));
    checks.extend(feature_drift(window, thresholds));
    checks.extend(dataset_drift(window, dataset_share));
    if window.predictions > 0 {
        checks.extend(latency(
            RuleId::LatencyP95,
            window.latency_p95_ms,
            thresholds.latency_p95_ms,
        ));
        checks.extend(latency(
            RuleId::LatencyP99,
            window.latency_p99_ms,
            thresholds.latency_p99_ms,
        ));
        checks.extend(error_rates(window, thresholds, watched_error_types));
        let labeled_share = window.labeled as f64 / window.predictions as f64;
        checks.extend(fall(
            RuleId::LabelCoverage,
            labeled_share,
            &trailing.coverage,
            thresholds,
        ));
        checks.extend(fall(
            RuleId::PredictionVolume,
            window.predictions as f64,
            &trailing.volume,
            thresholds,
        ));
    }
    checks
}

fn check(rule: RuleId, breached: bool, metric: &str, value: f64, threshold: f64) -> Check {
    Check {
        rule,
        subject: String::new(),
        breached,
        metric: metric.to_string(),
        value,
        threshold,
        summary: String::new(),
        details: BTreeMap::new(),
    }
}

fn accuracy(window: &WindowMetrics, t: &AlertThresholds) -> Option<Check> {
    let accuracy = window
        .accuracy
        .filter(|_| window.labeled as u64 >= t.min_labeled)?;
    let mut c = check(
        RuleId::AccuracySlo,
        accuracy < t.min_accuracy,
        "accuracy",
        accuracy,
        t.min_accuracy,
    );
    let relation = if c.breached { "below" } else { "meets" };
    c.summary = format!(
        "v{} accuracy {:.1}% {relation} the {:.1}% SLO ({} labeled predictions)",
        window.version,
        accuracy * 100.0,
        t.min_accuracy * 100.0,
        window.labeled
    );
    Some(c)
}

/// Breached when the whole band of the estimate is below the SLO: one
/// window's estimate wobbles by its band, and a rule that fired on the
/// wobble would page on every healthy model near its SLO.
fn estimated_accuracy(window: &WindowMetrics, t: &AlertThresholds) -> Option<Check> {
    let estimate = window
        .accuracy_estimated
        .filter(|_| window.predictions as u64 >= t.min_labeled)?;
    let upper = window.accuracy_estimated_upper.unwrap_or(estimate);
    let mut c = check(
        RuleId::AccuracyEstimated,
        upper < t.min_accuracy,
        "accuracy_estimated",
        estimate,
        t.min_accuracy,
    );
    let relation = if c.breached {
        "below"
    } else {
        "not surely below"
    };
    c.summary = format!(
        "v{} estimated accuracy {:.1}% (band up to {:.1}%) is {relation} the {:.1}% SLO, from the confidences of {} predictions before their labels",
        window.version,
        estimate * 100.0,
        upper * 100.0,
        t.min_accuracy * 100.0,
        window.predictions
    );
    c.details = BTreeMap::from([
        ("accuracy_estimated_upper".to_string(), format!("{upper}")),
        (
            "calibration_source".to_string(),
            window.calibration_source.clone(),
        ),
    ]);
    Some(c)
}

fn feature_drift<'w>(
    window: &'w WindowMetrics,
    t: &'w AlertThresholds,
) -> impl Iterator<Item = Check> + 'w {
    let tested = |status: &str| status == "ok" || status == "drifted";
    window
        .drift
        .iter()
        .filter(move |f| tested(&f.status) && t.is_critical(&f.feature))
        .filter_map(|f| {
            let score = f.score?;
            let mut c = check(
                RuleId::FeatureDrift,
                f.drift_detected,
                &format!("drift_score:{}", f.feature),
                score,
                f.threshold,
            );
            c.subject = f.feature.clone();
            let verdict = if f.drift_detected {
                "drifted"
            } else {
                "did not drift"
            };
            c.summary = format!(
                "feature {} {verdict} ({} {:.4}, threshold {})",
                f.feature, f.method, score, f.threshold
            );
            c.details = BTreeMap::from([
                ("feature".to_string(), f.feature.clone()),
                ("method".to_string(), f.method.clone()),
            ]);
            Some(c)
        })
}

fn dataset_drift(window: &WindowMetrics, dataset_share: f64) -> Option<Check> {
    let tested = window
        .drift
        .iter()
        .filter(|f| f.status == "ok" || f.status == "drifted");
    let drifted: Vec<&str> = tested
        .clone()
        .filter(|f| f.drift_detected)
        .map(|f| f.feature.as_str())
        .collect();
    let count = tested.count();
    if count == 0 {
        return None;
    }
    let mut c = check(
        RuleId::DatasetDrift,
        window.dataset_drift,
        "share_drifted",
        window.share_drifted,
        dataset_share,
    );
    c.summary = format!(
        "{} of {count} tested features drifted ({:.0}%, dataset threshold {:.0}%)",
        drifted.len(),
        window.share_drifted * 100.0,
        dataset_share * 100.0
    );
    c.details = BTreeMap::from([("drifted_features".to_string(), drifted.join(","))]);
    Some(c)
}

fn latency(rule: RuleId, measured: Option<f64>, slo_ms: f64) -> Option<Check> {
    let value = measured?;
    let quantile = if rule == RuleId::LatencyP95 {
        "p95"
    } else {
        "p99"
    };
    let mut c = check(
        rule,
        value > slo_ms,
        &format!("latency_{quantile}_ms"),
        value,
        slo_ms,
    );
    let relation = if c.breached { "above" } else { "within" };
    c.summary = format!("latency {quantile} {value:.0} ms {relation} the {slo_ms:.0} ms SLO");
    Some(c)
}

fn error_rates(window: &WindowMetrics, t: &AlertThresholds, watched: &[&str]) -> Vec<Check> {
    let mut types: Vec<&str> = window.errors.keys().map(String::as_str).collect();
    types.extend(watched);
    types.sort_unstable();
    types.dedup();
    types
        .into_iter()
        .map(|error_type| {
            let failed = window.errors.get(error_type).copied().unwrap_or(0);
            let rate = failed as f64 / window.predictions as f64;
            let mut c = check(
                RuleId::ErrorRate,
                rate > t.max_error_rate,
                &format!("error_rate:{error_type}"),
                rate,
                t.max_error_rate,
            );
            c.subject = error_type.to_string();
            c.summary = format!(
                "{failed} of {} predictions failed with {error_type} ({:.1}%, limit {:.1}%)",
                window.predictions,
                rate * 100.0,
                t.max_error_rate * 100.0
            );
            c.details = BTreeMap::from([("error_type".to_string(), error_type.to_string())]);
            c
        })
        .collect()
}

/// A value compared with the mean of its recent healthy windows; made only
/// once there are `trailing_windows` of them.
fn fall(rule: RuleId, value: f64, recent: &VecDeque<f64>, t: &AlertThresholds) -> Option<Check> {
    if recent.len() < t.trailing_windows as usize {
        return None;
    }
    let mean = recent.iter().sum::<f64>() / recent.len() as f64;
    let floor = mean * (1.0 - t.max_fall);
    let metric = match rule {
        RuleId::LabelCoverage => "labeled_share",
        _ => "predictions",
    };
    let mut c = check(rule, value < floor, metric, value, floor);
    let relation = if c.breached {
        "fell below"
    } else {
        "holds above"
    };
    c.summary = format!(
        "{metric} {value:.3} {relation} {floor:.3} ({:.0}% under the mean {mean:.3} of the last {} windows)",
        t.max_fall * 100.0,
        recent.len()
    );
    Some(c)
}

impl Trailing {
    /// Remembers this window's values when their rules were healthy (a
    /// fallen value must not drag the mean down and end its own alert).
    pub fn remember(&mut self, checks: &[Check], window: &WindowMetrics, keep: u32) {
        if window.predictions <= 0 {
            return;
        }
        let healthy = |rule| !checks.iter().any(|c| c.rule == rule && c.breached);
        let push = |values: &mut VecDeque<f64>, value: f64| {
            values.push_back(value);
            while values.len() > keep as usize {
                values.pop_front();
            }
        };
        if healthy(RuleId::PredictionVolume) {
            push(&mut self.volume, window.predictions as f64);
        }
        if healthy(RuleId::LabelCoverage) {
            push(
                &mut self.coverage,
                window.labeled as f64 / window.predictions as f64,
            );
        }
    }
}
