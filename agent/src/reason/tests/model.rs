//! Model issues: rollout.toml's buggy canary, a buggy champion, and an
//! input that lost a feature a version reads.

use super::*;
use crate::reason::{diagnose, propose};

/// rollout.toml: version 1 champion at 96.6%, version 2 (flip_sign on
/// tenure_months) challenger on half the traffic at 64%; the input is
/// unchanged.
fn rollout_world() -> Evidence {
    let mut ev = churn(vec![
        version(
            "1",
            Role::Champion,
            &ALL_FEATURES,
            Some(acc(0.966, 1140)),
            Some(acc(0.966, 500)),
        ),
        version(
            "2",
            Role::Challenger,
            &ALL_FEATURES,
            None,
            Some(acc(0.64, 500)),
        ),
    ]);
    ev.symptoms = vec![
        symptom("accuracy_slo", "2", 0.64, 0.95),
        symptom("version_regression", "2", 0.64, 0.946),
    ];
    ev
}

#[test]
fn rollout_toml_is_a_bug_in_version_2_and_rolls_back_to_the_champion() {
    let ev = rollout_world();
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::ModelVersionBug);
    assert_eq!(d.version.as_deref(), Some("2"));
    assert_eq!(d.feature, None);
    assert!(d.confidence >= 0.85, "{}", d.confidence);
    assert!(
        d.evidence[0].claim.starts_with(
            "on the same windows version 2 is at 64.0% (500 labels) vs version 1 at 96.6% (500 labels): -32.6 points, p<0.001"
        ),
        "{}",
        d.evidence[0].claim
    );
    assert_rejects_all_others(&d);
    assert_eq!(
        why(&d, Category::DataDrift),
        "no feature drifted (4 tested)"
    );
    assert!(why(&d, Category::InfraResourceContention).contains("x1.01"));
    let r = propose(&d, &ev);
    assert_eq!(actions(&r), [Action::Rollback]);
    assert_eq!(r[0].target_version.as_deref(), Some("1"));
    assert!(r[0].expected_effect.contains("stops serving version 2"));
    assert!(r[0].expected_effect.contains("the champion"));
}

#[test]
fn a_buggy_champion_rolls_back_to_the_last_good_version() {
    let mut ev = rollout_world();
    ev.versions[0].role = Role::None;
    ev.versions[1].role = Role::Champion;
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::ModelVersionBug);
    assert_eq!(d.version.as_deref(), Some("2"));
    let r = propose(&d, &ev);
    assert_eq!(r[0].target_version.as_deref(), Some("1"));
    assert!(
        r[0].expected_effect.contains("the last good version"),
        "{}",
        r[0].expected_effect
    );
}

#[test]
fn a_gap_within_noise_is_not_a_version_bug() {
    // 1.6 points on 500 labels each: neither large nor significant.
    let mut ev = rollout_world();
    ev.versions[1].during = Some(acc(0.95, 500));
    ev.symptoms.clear();
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::None);
    assert!(why(&d, Category::ModelVersionBug).contains("v1 96.6%, v2 95.0%"));
}

#[test]
fn a_feature_gone_from_the_input_is_a_schema_mismatch_and_rolls_back_to_a_version_without_it() {
    let mut ev = incident_world();
    ev.versions[1].during = Some(acc(0.90, 1140));
    set_feature(
        &mut ev,
        FeatureEvidence {
            score: None,
            missing_rate_current: 1.0,
            started_at_ms: Some(T_FAULT),
            ..stable("monthly_charges", 70.1, 20.0)
        },
    );
    ev.symptoms = vec![symptom("accuracy_slo", "2", 0.90, 0.95)];
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::ModelSchemaMismatch);
    assert_eq!(d.feature.as_deref(), Some("monthly_charges"));
    assert_eq!(d.version.as_deref(), Some("2"));
    assert!(d.evidence[0]
        .claim
        .contains("missing from 100.0% of records"));
    assert_rejects_all_others(&d);
    assert!(why(&d, Category::DataMissingValues).contains("the input schema changed"));
    let r = propose(&d, &ev);
    assert_eq!(actions(&r), [Action::Rollback]);
    assert_eq!(r[0].target_version.as_deref(), Some("1"));
}
