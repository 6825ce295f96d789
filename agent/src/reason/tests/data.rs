//! Data issues: drift.toml, incident.toml, and missing values, a new
//! category, outliers on the same model.

use super::*;
use crate::reason::{diagnose, propose};

#[test]
fn drift_toml_names_the_feature_and_retrains_and_fixes_the_unit() {
    let ev = drift_world();
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::DataDrift);
    assert_eq!(d.feature.as_deref(), Some("monthly_charges"));
    assert_eq!(d.version, None);
    assert!(d.confidence >= 0.8, "{}", d.confidence);
    assert_eq!(
        d.evidence[0].claim,
        "monthly_charges mean 70.1 -> 87.6 (+25%), normalised Wasserstein 0.91 >= 0.1"
    );
    assert_eq!(d.evidence[0].baseline, Some(70.1));
    assert!(d.evidence.iter().any(|l| l.claim.contains("x1.25")));
    assert_rejects_all_others(&d);
    assert!(why(&d, Category::ModelVersionBug).contains("1 version(s)"));
    assert!(why(&d, Category::DataOutliers).contains("median moved"));
    // No version without monthly_charges: retrain first; the x1.25 looks
    // like a unit change, so fixing the producer is proposed too.
    let r = propose(&d, &ev);
    assert_eq!(actions(&r), [Action::Retrain, Action::FixUpstreamData]);
    assert!(r[1].expected_effect.contains("x1.25"));
}

#[test]
fn incident_toml_is_input_drift_not_a_model_bug_and_rolls_back_to_1() {
    let ev = incident_world();
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::DataDrift);
    assert_eq!(d.feature.as_deref(), Some("monthly_charges"));
    assert_rejects_all_others(&d);
    // Version 2 is significantly worse than version 1 on the same windows,
    // but the gap is the drifted feature's, which only version 2 reads.
    let vb = why(&d, Category::ModelVersionBug);
    assert!(vb.contains("the gap is the input's"), "{vb}");
    assert!(vb.contains("96.6% vs 95.5%"), "{vb}");
    let lines: Vec<&str> = d.evidence.iter().map(|l| l.claim.as_str()).collect();
    assert!(
        lines.contains(&"version 1 (does not read monthly_charges) accuracy 95.5% -> 95.2%"),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"version 2 (reads monthly_charges) accuracy 96.6% -> 88.6%"),
        "{lines:?}"
    );
    let r = propose(&d, &ev);
    assert_eq!(
        actions(&r),
        [Action::Rollback, Action::Retrain, Action::FixUpstreamData]
    );
    assert_eq!(r[0].target_version.as_deref(), Some("1"));
    assert!(
        r[0].expected_effect
            .contains("does not read monthly_charges"),
        "{}",
        r[0].expected_effect
    );
    assert!(r[0].expected_effect.contains("95.2%"));
    assert_eq!(r[1].target_version, None);
}

#[test]
fn drift_that_every_version_reading_the_feature_survived_is_weak() {
    // Same drift, but version 2 held: a change of the input would have
    // hurt it, so drift alone is not the cause of an accuracy alert.
    let mut ev = incident_world();
    ev.versions[1].during = Some(acc(0.962, 1140));
    ev.versions[0].during = Some(acc(0.90, 1140));
    let d = diagnose(&ev);
    let h = d
        .ranked
        .iter()
        .find(|h| h.category == Category::DataDrift)
        .unwrap();
    assert!(h.score < 0.5, "{}", h.score);
    assert!(
        h.against
            .iter()
            .any(|a| a.contains("do not read monthly_charges fell too")),
        "{:?}",
        h.against
    );
}

#[test]
fn drift_that_began_after_the_alert_is_not_its_cause() {
    let mut ev = drift_world();
    ev.features[1].started_at_ms = Some(T_ALERT + 3 * WINDOW_MS);
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::None);
    assert!(why(&d, Category::DataDrift).contains("after the first alert"));
}

#[test]
fn missing_values_fix_upstream_first_then_roll_back_to_a_version_without_the_feature() {
    let mut ev = incident_world();
    set_feature(
        &mut ev,
        FeatureEvidence {
            missing_rate_current: 0.30,
            score: Some(0.21),
            drifted: true,
            started_at_ms: Some(T_FAULT),
            ..stable("monthly_charges", 70.1, 20.0)
        },
    );
    ev.versions[1].during = Some(acc(0.911, 1140));
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::DataMissingValues);
    assert_eq!(d.feature.as_deref(), Some("monthly_charges"));
    assert_eq!(d.evidence[0].claim, "monthly_charges missing 0.0% -> 30.0%");
    assert_rejects_all_others(&d);
    assert!(why(&d, Category::DataDrift).contains("missing values"));
    let r = propose(&d, &ev);
    assert_eq!(actions(&r), [Action::FixUpstreamData, Action::Rollback]);
    assert_eq!(r[1].target_version.as_deref(), Some("1"));
}

#[test]
fn a_new_category_is_new_values_and_retrains_first() {
    let mut ev = drift_world();
    ev.features = features();
    set_feature(
        &mut ev,
        FeatureEvidence {
            score: Some(0.0),
            drifted: true,
            unseen_categories: vec!["business".into()],
            unseen_share: 0.12,
            started_at_ms: Some(T_FAULT),
            ..stable_plan()
        },
    );
    ev.versions[0].during = Some(acc(0.913, 1140));
    ev.symptoms[1] = symptom("feature_drift", "1", 0.0, 0.05);
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::DataNewValues);
    assert_eq!(d.feature.as_deref(), Some("plan"));
    assert!(
        d.evidence[0]
            .claim
            .contains("[business] are 12.0% of values"),
        "{}",
        d.evidence[0].claim
    );
    assert_rejects_all_others(&d);
    assert_eq!(why(&d, Category::DataDrift), "the 1 drifted feature(s) changed by missing values, new categories or outliers, not a shift");
    let r = propose(&d, &ev);
    assert_eq!(actions(&r), [Action::Retrain, Action::FixUpstreamData]);
}

#[test]
fn outliers_with_a_steady_median_fix_upstream_first() {
    let mut ev = drift_world();
    let mut current = summary(70.1, 20.0);
    current.p50 = 70.6;
    current.mean = 79.0;
    set_feature(
        &mut ev,
        FeatureEvidence {
            score: Some(0.16),
            drifted: true,
            current: Some(current),
            outside_share: Some(0.12),
            started_at_ms: Some(T_FAULT),
            ..stable("monthly_charges", 70.1, 20.0)
        },
    );
    ev.versions[0].during = Some(acc(0.925, 1140));
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::DataOutliers);
    assert_eq!(d.feature.as_deref(), Some("monthly_charges"));
    assert!(
        d.evidence[0].claim.contains("12.0% of values outside"),
        "{}",
        d.evidence[0].claim
    );
    assert_rejects_all_others(&d);
    let r = propose(&d, &ev);
    assert_eq!(actions(&r), [Action::FixUpstreamData, Action::Retrain]);
}

#[test]
fn a_version_whose_features_are_unknown_is_taken_to_read_them_all() {
    let mut ev = drift_world();
    ev.versions[0].features.clear();
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::DataDrift);
    assert!(d
        .evidence
        .iter()
        .any(|l| l.claim == "version 1 (reads monthly_charges) accuracy 96.6% -> 87.7%"));
    assert_eq!(propose(&d, &ev)[0].action, Action::Retrain);
}

/// plan with "student" as `share` of its values since the fault.
fn plan_with_student(share: f64) -> FeatureEvidence {
    FeatureEvidence {
        score: Some(0.46),
        drifted: true,
        unseen_categories: vec!["student".into()],
        unseen_share: share,
        started_at_ms: Some(T_FAULT),
        ..stable_plan()
    }
}

#[test]
fn a_new_category_that_cost_no_accuracy_is_still_the_incident_its_alert_names() {
    // The categories test's numbers: accuracy 96.5% -> 95.6% (under the
    // 2-point drop), and the only alert is plan's drift.
    let mut ev = drift_world();
    ev.features = features();
    set_feature(&mut ev, plan_with_student(0.488));
    ev.versions[0].before = Some(acc(0.965, 1140));
    ev.versions[0].during = Some(acc(0.956, 1140));
    let mut drift = symptom("feature_drift", "1", 0.46, 0.1);
    drift.subject = Some("plan".into());
    ev.symptoms = vec![drift.clone()];
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::DataNewValues);
    assert_eq!(d.feature.as_deref(), Some("plan"));
    assert!(d.confidence >= 0.85, "{}", d.confidence);
    assert_eq!(actions(&propose(&d, &ev))[0], Action::Retrain);

    // With an accuracy alert to explain, accuracy that held is an objection.
    ev.symptoms.push(symptom("accuracy_slo", "1", 0.956, 0.95));
    let with_accuracy = diagnose(&ev);
    let h = with_accuracy
        .ranked
        .iter()
        .find(|h| h.category == Category::DataNewValues)
        .unwrap();
    assert!(h.score < 0.6, "{}", h.score);
    assert!(h.against.iter().any(|a| a.contains("lost 2 points")));

    // And so it is when the drift alert names another feature.
    drift.subject = Some("monthly_charges".into());
    ev.symptoms = vec![drift];
    let elsewhere = diagnose(&ev);
    let h = elsewhere
        .ranked
        .iter()
        .find(|h| h.category == Category::DataNewValues)
        .unwrap();
    assert!(h.score < 0.6, "{}", h.score);
}
