//! Tests of the reasoning, one world per test, with the numbers of the
//! shipped scenarios where one exists (scenarios/*.toml): the churn model,
//! 10-minute windows of about 1,200 predictions, 95% label coverage with a
//! 3-minute mean delay, latency around 18 ms (CPU time 0.6 x latency, GPU
//! utilisation 0.35).

mod contract;
mod data;
mod infra;
mod labels;
mod model;
mod none;

use super::category::Category;
use super::diagnosis::Diagnosis;
use super::evidence::{
    Accuracy, EstimateEvidence, Evidence, FeatureEvidence, LabelEvidence, LatencyEvidence,
    NumericSummary, Role, Symptom, VersionEvidence,
};
use super::remedies::{Action, Remedy};

/// 10 minutes.
pub const WINDOW_MS: i64 = 600_000;
/// 2026-01-05T10:20:00Z: the first alert of drift.toml (drift at 10:00).
pub const T_ALERT: i64 = 1_767_608_400_000;
/// Where the faults of the scenarios begin (1h after 09:00).
pub const T_FAULT: i64 = T_ALERT - 2 * WINDOW_MS;

pub const ALL_FEATURES: [&str; 4] = ["tenure_months", "monthly_charges", "support_calls", "plan"];

/// `rate` of `labeled` correct, rounded.
pub fn acc(rate: f64, labeled: u64) -> Accuracy {
    Accuracy {
        labeled,
        correct: (rate * labeled as f64).round() as u64,
    }
}

pub fn version(
    v: &str,
    role: Role,
    features: &[&str],
    before: Option<Accuracy>,
    during: Option<Accuracy>,
) -> VersionEvidence {
    VersionEvidence {
        version: v.into(),
        role,
        features: features.iter().map(|f| f.to_string()).collect(),
        before,
        during,
    }
}

pub fn summary(mean: f64, std: f64) -> NumericSummary {
    NumericSummary {
        mean,
        std,
        p01: mean - 2.33 * std,
        p50: mean,
        p99: mean + 2.33 * std,
    }
}

/// A numeric feature that did not change.
pub fn stable(name: &str, mean: f64, std: f64) -> FeatureEvidence {
    FeatureEvidence {
        name: name.into(),
        method: "wasserstein".into(),
        score: Some(0.03),
        threshold: 0.1,
        drifted: false,
        baseline: Some(summary(mean, std)),
        current: Some(summary(mean, std)),
        outside_share: Some(0.02),
        ..Default::default()
    }
}

/// The categorical `plan`, unchanged.
pub fn stable_plan() -> FeatureEvidence {
    FeatureEvidence {
        name: "plan".into(),
        method: "chisquare".into(),
        score: Some(0.62),
        threshold: 0.05,
        ..Default::default()
    }
}

/// The churn features of every scenario, none changed.
pub fn features() -> Vec<FeatureEvidence> {
    vec![
        stable("tenure_months", 27.0, 25.0),
        stable("monthly_charges", 70.1, 20.0),
        stable("support_calls", 4.0, 2.3),
        stable_plan(),
    ]
}

/// Replaces the feature of the same name.
pub fn set_feature(ev: &mut Evidence, f: FeatureEvidence) {
    let slot = ev
        .features
        .iter_mut()
        .find(|x| x.name == f.name)
        .expect("known feature");
    *slot = f;
}

/// monthly_charges x`k` from `T_FAULT` (a unit change upstream), tested with the
/// normalised Wasserstein distance as the pipeline does.
pub fn scaled_charges(k: f64, score: f64) -> FeatureEvidence {
    FeatureEvidence {
        score: Some(score),
        drifted: true,
        current: Some(summary((70.1 * k * 10.0).round() / 10.0, 20.0 * k)),
        outside_share: Some(0.31),
        started_at_ms: Some(T_FAULT),
        ..stable("monthly_charges", 70.1, 20.0)
    }
}

/// incident.toml: version 2 (champion, every feature) 96.6% -> 88.6%,
/// version 1 (trained without monthly_charges) 95.5% -> 95.2%.
pub fn incident_world() -> Evidence {
    let no_charges = ["tenure_months", "support_calls", "plan"];
    let mut ev = churn(vec![
        version(
            "1",
            Role::None,
            &no_charges,
            Some(acc(0.955, 1140)),
            Some(acc(0.952, 1140)),
        ),
        version(
            "2",
            Role::Champion,
            &ALL_FEATURES,
            Some(acc(0.966, 1140)),
            Some(acc(0.886, 1140)),
        ),
    ]);
    set_feature(&mut ev, scaled_charges(1.8, 2.9));
    ev.symptoms = vec![
        symptom("accuracy_slo", "2", 0.886, 0.95),
        symptom("feature_drift", "2", 2.9, 0.1),
    ];
    ev
}

/// drift.toml: one version, monthly_charges x1.25 at 10:00, accuracy
/// 96.6% -> 87.7%.
pub fn drift_world() -> Evidence {
    let mut ev = churn(vec![version(
        "1",
        Role::Champion,
        &ALL_FEATURES,
        Some(acc(0.966, 1140)),
        Some(acc(0.877, 1140)),
    )]);
    set_feature(&mut ev, scaled_charges(1.25, 0.91));
    ev.symptoms = vec![
        symptom("accuracy_slo", "1", 0.877, 0.95),
        symptom("feature_drift", "1", 0.91, 0.1),
    ];
    ev
}

/// Latency of one healthy version.
pub fn healthy_latency(v: &str) -> LatencyEvidence {
    LatencyEvidence {
        version: v.into(),
        p95_ms_before: 32.0,
        p95_ms: 32.4,
        p99_ms_before: 41.0,
        p99_ms: 41.5,
        cpu_ms_before: Some(11.5),
        cpu_ms: Some(11.6),
        gpu_utilization_before: Some(0.35),
        gpu_utilization: Some(0.35),
        cpu_latency_correlation: Some(0.1),
        gpu_latency_correlation: None,
        started_at_ms: None,
    }
}

pub fn symptom(alert: &str, version: &str, value: f64, threshold: f64) -> Symptom {
    Symptom {
        alert: alert.into(),
        version: Some(version.into()),
        subject: None,
        value,
        threshold,
        started_at_ms: T_ALERT,
    }
}

/// The churn model with `versions`, healthy everywhere else.
pub fn churn(versions: Vec<VersionEvidence>) -> Evidence {
    let latency = versions
        .iter()
        .map(|v| healthy_latency(&v.version))
        .collect();
    Evidence {
        model: "churn".into(),
        window_start: "2026-01-05T10:00:00Z".into(),
        window_end: "2026-01-05T10:40:00Z".into(),
        window_ms: WINDOW_MS,
        symptoms: Vec::new(),
        features: features(),
        versions,
        errors: Vec::new(),
        latency,
        labels: Some(LabelEvidence {
            coverage_before: 0.95,
            coverage: 0.95,
            delay_p50_s_before: 125.0,
            delay_p50_s: 124.0,
            started_at_ms: None,
        }),
        estimate: None,
        sources: Default::default(),
    }
}

/// Every category but the chosen one is rejected, each with a reason that
/// carries a number or names what was not there.
pub fn assert_rejects_all_others(d: &Diagnosis) {
    for c in Category::ALL {
        if c == d.category {
            assert!(
                d.rejected.iter().all(|r| r.category != c),
                "{c} both chosen and rejected"
            );
            continue;
        }
        let r = d
            .rejected
            .iter()
            .find(|r| r.category == c)
            .unwrap_or_else(|| panic!("{c} missing from rejected: {:#?}", d.rejected));
        assert!(r.why.len() > 15, "{c}: reason too thin: {:?}", r.why);
    }
    assert_eq!(d.rejected.len(), Category::ALL.len() - 1);
}

/// The reason `c` was rejected.
pub fn why(d: &Diagnosis, c: Category) -> &str {
    &d.rejected
        .iter()
        .find(|r| r.category == c)
        .expect("rejected")
        .why
}

/// The action ids in order.
pub fn actions(r: &[Remedy]) -> Vec<Action> {
    r.iter().map(|x| x.action).collect()
}
