//! Too little or ambiguous evidence: `none`, with low confidence.

use super::*;
use crate::reason::{diagnose, propose};

#[test]
fn nothing_wrong_in_the_evidence_is_none_with_low_confidence() {
    let ev = churn(vec![version(
        "1",
        Role::Champion,
        &ALL_FEATURES,
        Some(acc(0.966, 1140)),
        Some(acc(0.951, 1140)),
    )]);
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::None);
    assert!(d.confidence <= 0.3, "{}", d.confidence);
    assert_rejects_all_others(&d);
    assert_eq!(
        why(&d, Category::InfraGpuOom),
        "no GPU out-of-memory errors"
    );
    assert_eq!(actions(&propose(&d, &ev)), [Action::None]);
}

#[test]
fn empty_evidence_is_none_and_says_what_was_missing() {
    let ev = Evidence {
        model: "churn".into(),
        window_ms: WINDOW_MS,
        ..Default::default()
    };
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::None);
    assert!(d.confidence <= 0.3);
    assert_eq!(
        why(&d, Category::LabelsDelayed),
        "no label coverage or delay figures"
    );
    assert_eq!(
        why(&d, Category::InfraResourceContention),
        "no latency figures"
    );
    assert!(d.evidence.is_empty());
}

#[test]
fn two_causes_fitting_equally_are_none_and_both_are_shown() {
    // drift.toml's drift and a resource_contention fault at once, each
    // with its own alert: a human separates two incidents.
    let mut ev = drift_world();
    let l = &mut ev.latency[0];
    (
        l.p95_ms,
        l.cpu_ms,
        l.gpu_utilization,
        l.cpu_latency_correlation,
    ) = (96.0, Some(34.8), Some(0.97), Some(0.98));
    ev.symptoms = vec![
        symptom("accuracy_slo", "1", 0.877, 0.95),
        symptom("latency_p95", "1", 96.0, 50.0),
    ];
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::None);
    assert!(d.confidence <= 0.3, "{}", d.confidence);
    assert!(
        why(&d, Category::DataDrift)
            .starts_with("ambiguous: data.drift (0.9) and infra.resource_contention (0.9)"),
        "{}",
        why(&d, Category::DataDrift)
    );
    assert!(why(&d, Category::InfraResourceContention).contains("GPU utilisation 35.0% -> 97.0%"));
    assert!(!d.evidence.is_empty());
}
