//! The rules, one family per file: each scores its categories against the
//! evidence and says, with numbers, what speaks against them.
//!
//! Shared here: what each category can explain among the firing alerts, and
//! the attribution test of a data change through the versions (a change in
//! the input hurts every version that reads the feature, and only those).

mod data;
mod infra;
mod labels;
mod model;

pub use data::{change_kind, scale_factor, ChangeKind};

use super::category::Category;
use super::evidence::{ErrorEvidence, Evidence, VersionEvidence};
use super::hypothesis::{pct, EvidenceLine, Hypothesis};

/// An accuracy change smaller than this (2 points, the `max_drop` of the
/// `version_regression` rule) is not a degradation.
pub const MIN_DROP: f64 = 0.02;

/// Every category but `none`, scored, in [`Category::ALL`] order.
pub fn score_all(ev: &Evidence) -> Vec<Hypothesis> {
    let mut all = vec![
        data::drift(ev),
        data::missing_values(ev),
        data::new_values(ev),
        data::outliers(ev),
        model::version_bug(ev),
        model::schema_mismatch(ev),
        infra::gpu_oom(ev),
        infra::timeouts(ev),
        infra::resource_contention(ev),
        labels::delayed(ev),
    ];
    for h in &mut all {
        check_explains_symptoms(h, ev);
    }
    all
}

/// The alert rules a category can make fire. A cause that explains none of
/// the firing alerts is at best a bystander (drift with no accuracy alert
/// still explains `feature_drift`; GPU OOM never lowers accuracy, because a
/// failed prediction gets no label, but it lowers label coverage).
fn explains(category: Category) -> &'static [&'static str] {
    const ACCURACY: [&str; 5] = [
        "accuracy_slo",
        "accuracy_estimated",
        "version_regression",
        "feature_drift",
        "dataset_drift",
    ];
    match category {
        Category::DataDrift
        | Category::DataMissingValues
        | Category::DataNewValues
        | Category::DataOutliers => &ACCURACY,
        Category::ModelVersionBug => &["accuracy_slo", "version_regression"],
        Category::ModelSchemaMismatch => &[
            "accuracy_slo",
            "accuracy_estimated",
            "version_regression",
            "feature_drift",
            "dataset_drift",
            "error_rate",
        ],
        Category::InfraGpuOom => &["error_rate", "prediction_volume", "label_coverage"],
        Category::InfraTimeouts => &[
            "error_rate",
            "latency_p95",
            "latency_p99",
            "prediction_volume",
            "label_coverage",
        ],
        Category::InfraResourceContention => &["latency_p95", "latency_p99"],
        Category::LabelsDelayed => &["accuracy_slo", "label_coverage"],
        Category::None => &[],
    }
}

fn check_explains_symptoms(h: &mut Hypothesis, ev: &Evidence) {
    if h.score == 0.0 || ev.symptoms.is_empty() {
        return;
    }
    let rules = explains(h.category);
    if !ev
        .symptoms
        .iter()
        .any(|s| rules.contains(&s.alert.as_str()))
    {
        let firing: Vec<&str> = ev.symptoms.iter().map(|s| s.alert.as_str()).collect();
        h.weaken(
            0.5,
            format!(
                "{} explains none of the firing alerts ({})",
                h.category,
                firing.join(", ")
            ),
        );
    }
}

/// "version 2: 120 gpu_oom errors in 600 predictions (20.0%)".
fn error_line(ev: &Evidence, e: &ErrorEvidence) -> EvidenceLine {
    EvidenceLine::new(
        format!(
            "version {}: {} {} errors in {} predictions ({})",
            e.version,
            e.count,
            e.error_type,
            e.predictions,
            pct(e.rate())
        ),
        format!("errors.{}.v{}", e.error_type, e.version),
        e.rate(),
        Some(0.0),
        &ev.sources.errors,
    )
}

/// Accuracy before and during of a version that has both.
fn before_during(v: &VersionEvidence) -> Option<(f64, f64)> {
    Some((v.before?.rate()?, v.during?.rate()?))
}

/// Whether the incident is the change of `feature` itself: its drift
/// alert (`feature_drift` on it, or `dataset_drift`) fired and no accuracy
/// alert did.
fn drift_is_the_incident(ev: &Evidence, feature: &str) -> bool {
    let drift = ev.symptoms.iter().any(|s| {
        s.alert == "dataset_drift"
            || (s.alert == "feature_drift" && s.subject.as_deref() == Some(feature))
    });
    let accuracy = ev
        .symptoms
        .iter()
        .any(|s| matches!(s.alert.as_str(), "accuracy_slo" | "version_regression"));
    drift && !accuracy
}

/// How well the versions' accuracy fits a change of `feature` in the
/// input: a multiplier for the score, evidence lines, and objections.
///
/// The input is the same for every version on the same windows, so a data
/// cause must hurt the versions that read the feature and spare those that
/// do not. A version that reads it and held while another that reads it
/// fell, or a version that does not read it and fell as much, points away
/// from the data (to the version, or to another cause). That no version
/// lost accuracy is an objection only when an accuracy alert needs
/// explaining.
pub fn attribution(
    ev: &Evidence,
    feature: &str,
    lines: &mut Vec<EvidenceLine>,
    against: &mut Vec<String>,
) -> f64 {
    let measured: Vec<(&VersionEvidence, f64, f64)> = ev
        .versions
        .iter()
        .filter_map(|v| before_during(v).map(|(b, d)| (v, b, d)))
        .collect();
    if measured.is_empty() {
        against.push(format!(
            "no per-version accuracy before and during to check that the change of {feature} cost accuracy"
        ));
        return 0.8;
    }
    let src = &ev.sources.accuracy;
    let mut users_fell = 0;
    let mut users_held = Vec::new();
    let mut others_fell = Vec::new();
    for &(v, b, d) in &measured {
        let fell = b - d >= MIN_DROP;
        let uses = v.uses(feature);
        let role = if uses { "reads" } else { "does not read" };
        lines.push(EvidenceLine::new(
            format!(
                "version {} ({role} {feature}) accuracy {} -> {}",
                v.version,
                pct(b),
                pct(d)
            ),
            format!("accuracy.v{}", v.version),
            d,
            Some(b),
            src,
        ));
        match (uses, fell) {
            (true, true) => users_fell += 1,
            (true, false) => users_held.push(format!("{} ({} -> {})", v.version, pct(b), pct(d))),
            (false, true) => others_fell.push(format!("{} ({} -> {})", v.version, pct(b), pct(d))),
            (false, false) => {}
        }
    }
    let mut factor = 1.0;
    if users_fell == 0 && drift_is_the_incident(ev, feature) {
        // Nothing to explain but the change itself: its own drift alert
        // fired and no accuracy alert did, so the accuracy that held is
        // not an objection (a new category may cost little accuracy yet
        // still need a retrain).
    } else if users_fell == 0 {
        against.push(format!(
            "no version that reads {feature} lost {} points or more",
            MIN_DROP * 100.0
        ));
        factor *= 0.6;
    } else if !users_held.is_empty() {
        against.push(format!(
            "versions that read {feature} held: {}; a change of the input would hurt them too",
            users_held.join(", ")
        ));
        factor *= 0.4;
    }
    if !others_fell.is_empty() {
        against.push(format!(
            "versions that do not read {feature} fell too: {}",
            others_fell.join(", ")
        ));
        factor *= 0.5;
    }
    factor
}
