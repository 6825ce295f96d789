//! Ranked remedies for a diagnosis, after issue 11's table:
//!
//! | category | first | also |
//! |---|---|---|
//! | data.drift | rollback to a version that does not read the feature, else retrain | retrain; fix_upstream_data when it looks like a unit or scale change |
//! | data.missing_values | fix_upstream_data | rollback to a version without the feature |
//! | data.new_values | retrain | fix_upstream_data |
//! | data.outliers | fix_upstream_data | retrain |
//! | model.* | rollback to the champion or the last good version | - |
//! | infra.* | scale_resources | rollback when one version alone is affected |
//! | labels.delayed | wait_for_labels | - |
//! | none | none | - |

use serde::{Deserialize, Serialize};

use super::category::Category;
use super::diagnosis::Diagnosis;
use super::evidence::{Evidence, Role, VersionEvidence};
use super::hypotheses::scale_factor;
use super::hypothesis::{num, pct};

/// A remedy id (fixed: the contract, the approval policy, the actions table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Move the `champion` alias to another version.
    Rollback,
    /// Train a new version on recent data.
    Retrain,
    /// Give serving more CPU/GPU, or fewer neighbours.
    ScaleResources,
    /// Have the upstream owner fix what they send.
    FixUpstreamData,
    /// Let the labels arrive and evaluate again.
    WaitForLabels,
    /// Nothing to do.
    None,
}

/// One proposed remedy (the contract's `proposed_actions` items).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remedy {
    /// What to do.
    pub action: Action,
    /// The version a rollback goes to.
    pub target_version: Option<String>,
    /// What it should change, and for a rollback why that version.
    pub expected_effect: String,
}

fn remedy(action: Action, target: Option<String>, effect: impl Into<String>) -> Remedy {
    Remedy {
        action,
        target_version: target,
        expected_effect: effect.into(),
    }
}

/// "95.5% -> 95.2%" or "95.2%" or "unmeasured".
fn record(v: &VersionEvidence) -> String {
    match (
        v.before.and_then(|a| a.rate()),
        v.during.and_then(|a| a.rate()),
    ) {
        (Some(b), Some(d)) => format!("{} -> {} on the same windows", pct(b), pct(d)),
        (None, Some(d)) => format!("{} on the same windows", pct(d)),
        (Some(b), None) => format!("{} before", pct(b)),
        _ => "accuracy unmeasured".into(),
    }
}

/// The best of `candidates`: most accurate during, then before, then the
/// newest (highest version number).
fn best<'a>(candidates: impl Iterator<Item = &'a VersionEvidence>) -> Option<&'a VersionEvidence> {
    let key = |v: &VersionEvidence| {
        (
            v.during.and_then(|a| a.rate()).unwrap_or(-1.0),
            v.before.and_then(|a| a.rate()).unwrap_or(-1.0),
            v.version.parse::<u64>().unwrap_or(0),
        )
    };
    candidates.max_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(ka.2.cmp(&kb.2))
    })
}

/// A registered version other than the champion that does not read
/// `feature` (its features must be known).
fn without_feature<'a>(ev: &'a Evidence, feature: &str) -> Option<&'a VersionEvidence> {
    best(
        ev.versions
            .iter()
            .filter(|v| v.role != Role::Champion && !v.features.is_empty() && !v.uses(feature)),
    )
}

fn rollback_without(ev: &Evidence, feature: &str) -> Option<Remedy> {
    let v = without_feature(ev, feature)?;
    Some(remedy(
        Action::Rollback,
        Some(v.version.clone()),
        format!(
            "immediate: serve version {}, which does not read {feature} ({}); restores accuracy while the input is changed",
            v.version,
            record(v)
        ),
    ))
}

/// A rollback away from `bad`: to the champion if `bad` is not it, else to
/// the best other version (the last good one).
fn rollback_from(ev: &Evidence, bad: Option<&str>, why: &str) -> Remedy {
    let champion = ev.champion().filter(|c| Some(c.version.as_str()) != bad);
    let target = champion.or_else(|| {
        best(
            ev.versions
                .iter()
                .filter(|v| Some(v.version.as_str()) != bad),
        )
    });
    match target {
        Some(v) => remedy(
            Action::Rollback,
            Some(v.version.clone()),
            format!(
                "immediate: {why}; version {} is {} ({})",
                v.version,
                if v.role == Role::Champion {
                    "the champion"
                } else {
                    "the last good version"
                },
                record(v)
            ),
        ),
        None => remedy(
            Action::Rollback,
            None,
            format!("{why}; no other registered version to roll back to: register one first"),
        ),
    }
}

/// Ranked remedies for `d` (see the module's table). Never empty.
pub fn propose(d: &Diagnosis, ev: &Evidence) -> Vec<Remedy> {
    let feature = d.feature.as_deref().unwrap_or("the feature");
    let scaled = ev
        .features
        .iter()
        .find(|f| Some(f.name.as_str()) == d.feature.as_deref())
        .and_then(scale_factor);
    let retrain = |why: &str| {
        remedy(
            Action::Retrain,
            None,
            format!("long-term: a new version trained on recent data {why}"),
        )
    };
    let fix_upstream = |what: String| remedy(Action::FixUpstreamData, None, what);
    let mut out = Vec::new();
    match d.category {
        Category::DataDrift => {
            out.extend(rollback_without(ev, feature));
            out.push(retrain(&format!(
                "learns the new distribution of {feature}"
            )));
            if let Some(k) = scaled {
                out.push(fix_upstream(format!(
                    "{feature} arrives x{} its training scale, like a unit change: converting it upstream restores every version",
                    num(k)
                )));
            }
        }
        Category::DataMissingValues => {
            out.push(fix_upstream(format!(
                "{feature} arrives null; fixing its producer ends the imputation that costs accuracy"
            )));
            out.extend(rollback_without(ev, feature));
        }
        Category::DataNewValues => {
            out.push(retrain(&format!(
                "gives the new categories of {feature} their weights"
            )));
            out.push(fix_upstream(format!(
                "if the new categories of {feature} are a renaming or an error, map them upstream"
            )));
        }
        Category::DataOutliers => {
            out.push(fix_upstream(format!(
                "values of {feature} far outside the training range look broken: fix or filter them at the source"
            )));
            out.push(retrain(&format!(
                "if the extreme values of {feature} are real"
            )));
        }
        Category::ModelVersionBug | Category::ModelSchemaMismatch => {
            let why = match &d.version {
                Some(v) => format!("stops serving version {v}"),
                None => "serves a version that works with this input".into(),
            };
            let rb = match (d.category, &d.feature) {
                (Category::ModelSchemaMismatch, Some(f)) => rollback_without(ev, f),
                _ => None,
            };
            out.push(rb.unwrap_or_else(|| rollback_from(ev, d.version.as_deref(), &why)));
        }
        Category::InfraGpuOom | Category::InfraTimeouts | Category::InfraResourceContention => {
            let what = match d.category {
                Category::InfraGpuOom => {
                    "more GPU memory (or a smaller batch) ends the out-of-memory failures"
                }
                Category::InfraTimeouts => {
                    "more capacity or a longer timeout on the slow path ends the timeouts"
                }
                _ => "dedicated CPU/GPU (or moving the other workload) brings latency back",
            };
            out.push(remedy(Action::ScaleResources, None, what));
            if let Some(v) = &d.version {
                out.push(rollback_from(
                    ev,
                    Some(v),
                    &format!(
                        "only version {v} is affected; moving traffic off it stops the symptom"
                    ),
                ));
            }
        }
        Category::LabelsDelayed => out.push(remedy(
            Action::WaitForLabels,
            None,
            "accuracy is re-measured on complete labels; nothing in serving needs to change",
        )),
        Category::None => out.push(remedy(
            Action::None,
            None,
            "no supported cause: keep watching, or investigate by hand",
        )),
    }
    out
}
