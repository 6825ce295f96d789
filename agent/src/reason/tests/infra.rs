//! Infrastructure: GPU OOM errors on one version (`errors` fault, type
//! gpu_oom), resource contention (latency, CPU time and GPU utilisation
//! rise together), timeouts.

use super::*;
use crate::reason::evidence::ErrorEvidence;
use crate::reason::{diagnose, propose};

fn two_versions() -> Evidence {
    churn(vec![
        version(
            "1",
            Role::Champion,
            &ALL_FEATURES,
            Some(acc(0.966, 570)),
            Some(acc(0.965, 570)),
        ),
        version(
            "2",
            Role::Challenger,
            &ALL_FEATURES,
            Some(acc(0.964, 570)),
            Some(acc(0.963, 456)),
        ),
    ])
}

fn errors(version: &str, error_type: &str, count: u64, predictions: u64) -> ErrorEvidence {
    ErrorEvidence {
        version: version.into(),
        error_type: error_type.into(),
        count,
        predictions,
        started_at_ms: Some(T_FAULT),
    }
}

#[test]
fn gpu_oom_on_one_version_scales_first_then_rolls_that_version_back() {
    // A fault `errors` of type gpu_oom at rate 0.2 on version 2 only.
    let mut ev = two_versions();
    ev.errors = vec![
        errors("2", "gpu_oom", 120, 600),
        errors("1", "gpu_oom", 1, 600),
    ];
    ev.symptoms = vec![Symptom {
        subject: Some("gpu_oom".into()),
        ..symptom("error_rate", "2", 0.2, 0.05)
    }];
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::InfraGpuOom);
    assert_eq!(d.version.as_deref(), Some("2"));
    assert_eq!(
        d.evidence[0].claim,
        "version 2: 120 gpu_oom errors in 600 predictions (20.0%)"
    );
    assert!(
        d.evidence[1].claim.contains("99.2% of all GPU OOM errors"),
        "{}",
        d.evidence[1].claim
    );
    assert_rejects_all_others(&d);
    assert!(why(&d, Category::InfraTimeouts).contains("no timeout errors"));
    let r = propose(&d, &ev);
    assert_eq!(actions(&r), [Action::ScaleResources, Action::Rollback]);
    assert_eq!(r[1].target_version.as_deref(), Some("1"));
    assert!(r[1].expected_effect.contains("only version 2 is affected"));
}

#[test]
fn gpu_oom_on_every_version_names_no_version_and_only_scales() {
    let mut ev = two_versions();
    ev.errors = vec![
        errors("1", "gpu_oom", 60, 600),
        errors("2", "gpu_oom", 66, 600),
    ];
    ev.symptoms = vec![symptom("error_rate", "2", 0.11, 0.05)];
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::InfraGpuOom);
    assert_eq!(d.version, None);
    assert_eq!(actions(&propose(&d, &ev)), [Action::ScaleResources]);
}

/// resource_contention, factor 3, gpu_utilization 0.97, on both versions.
fn contended(ev: &mut Evidence) {
    for l in &mut ev.latency {
        l.p95_ms = 96.0;
        l.p99_ms = 125.0;
        l.cpu_ms = Some(34.8);
        l.gpu_utilization = Some(0.97);
        l.cpu_latency_correlation = Some(0.98);
        l.gpu_latency_correlation = Some(0.95);
        l.started_at_ms = Some(T_FAULT);
    }
}

#[test]
fn latency_with_cpu_and_gpu_rising_together_is_resource_contention() {
    let mut ev = two_versions();
    contended(&mut ev);
    ev.symptoms = vec![symptom("latency_p95", "1", 96.0, 50.0)];
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::InfraResourceContention);
    assert_eq!(d.version, None, "both versions are slow");
    let lines: Vec<&str> = d.evidence.iter().map(|l| l.claim.as_str()).collect();
    assert!(
        lines.contains(&"CPU time per prediction 11.5 -> 34.8 ms (x3.03)"),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"GPU utilisation 35.0% -> 97.0%"),
        "{lines:?}"
    );
    assert_rejects_all_others(&d);
    assert!(why(&d, Category::InfraTimeouts).contains("the process worked harder"));
    assert_eq!(actions(&propose(&d, &ev)), [Action::ScaleResources]);
}

#[test]
fn latency_with_flat_resources_on_one_version_is_a_timeout_problem() {
    let mut ev = two_versions();
    ev.latency[1].p95_ms = 400.0;
    ev.latency[1].p99_ms = 1400.0;
    ev.symptoms = vec![symptom("latency_p99", "2", 1400.0, 1000.0)];
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::InfraTimeouts);
    assert_eq!(d.version.as_deref(), Some("2"));
    assert_rejects_all_others(&d);
    assert!(why(&d, Category::InfraResourceContention).contains("resources did not"));
    let r = propose(&d, &ev);
    assert_eq!(actions(&r), [Action::ScaleResources, Action::Rollback]);
    assert_eq!(r[1].target_version.as_deref(), Some("1"));
}

#[test]
fn timeout_errors_are_timeouts() {
    let mut ev = two_versions();
    ev.errors = vec![
        errors("1", "timeout", 48, 600),
        errors("2", "timeout", 51, 600),
    ];
    ev.symptoms = vec![symptom("error_rate", "1", 0.08, 0.05)];
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::InfraTimeouts);
    assert_eq!(d.version, None);
    assert!(why(&d, Category::InfraGpuOom).contains("no GPU out-of-memory errors"));
    assert_eq!(actions(&propose(&d, &ev)), [Action::ScaleResources]);
}

#[test]
fn timeouts_of_a_contended_machine_are_contention() {
    let mut ev = two_versions();
    contended(&mut ev);
    ev.errors = vec![
        errors("1", "timeout", 48, 600),
        errors("2", "timeout", 51, 600),
    ];
    ev.symptoms = vec![
        symptom("latency_p95", "1", 96.0, 50.0),
        symptom("error_rate", "1", 0.08, 0.05),
    ];
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::InfraResourceContention);
    assert!(why(&d, Category::InfraTimeouts).contains("contention makes them"));
}
