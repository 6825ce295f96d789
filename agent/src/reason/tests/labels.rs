//! Labels delayed: accuracy measured on few, early labels.

use super::*;
use crate::reason::evidence::ErrorEvidence;
use crate::reason::{diagnose, propose};

/// drift.toml's model when the label source slows down: coverage 95% ->
/// 30%, median delay 2 min -> 15 min; accuracy 94% on the 100 labels in.
fn late_labels() -> Evidence {
    let mut ev = churn(vec![version(
        "1",
        Role::Champion,
        &ALL_FEATURES,
        Some(acc(0.966, 1140)),
        Some(acc(0.94, 100)),
    )]);
    ev.labels = Some(LabelEvidence {
        coverage_before: 0.95,
        coverage: 0.30,
        delay_p50_s_before: 125.0,
        delay_p50_s: 900.0,
        started_at_ms: Some(T_FAULT),
    });
    ev.symptoms = vec![
        symptom("accuracy_slo", "1", 0.94, 0.95),
        symptom("label_coverage", "1", 0.30, 0.475),
    ];
    ev
}

#[test]
fn few_late_labels_with_a_drop_within_noise_wait_for_labels() {
    let ev = late_labels();
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::LabelsDelayed);
    assert_eq!((d.feature.as_deref(), d.version.as_deref()), (None, None));
    let lines: Vec<&str> = d.evidence.iter().map(|l| l.claim.as_str()).collect();
    assert!(
        lines.contains(&"label coverage 95.0% -> 30.0%"),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"median label delay 125 -> 900 s (x7.2)"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("accuracy 96.6% -> 94.0% on only 100 labels is within noise")),
        "{lines:?}"
    );
    assert_rejects_all_others(&d);
    assert_eq!(actions(&propose(&d, &ev)), [Action::WaitForLabels]);
}

#[test]
fn a_significant_drop_is_not_explained_by_late_labels() {
    let mut ev = late_labels();
    ev.versions[0].during = Some(acc(0.80, 400));
    let d = diagnose(&ev);
    assert_ne!(d.category, Category::LabelsDelayed);
    let h = d
        .ranked
        .iter()
        .find(|h| h.category == Category::LabelsDelayed)
        .unwrap();
    assert!(h.score < 0.5, "{}", h.score);
    assert!(h.against[0].contains("significantly"), "{:?}", h.against);
}

#[test]
fn coverage_lost_to_failed_predictions_is_the_errors_doing() {
    let mut ev = late_labels();
    ev.labels = Some(LabelEvidence {
        delay_p50_s: 126.0,
        coverage: 0.40,
        ..ev.labels.unwrap()
    });
    ev.errors = vec![ErrorEvidence {
        version: "1".into(),
        error_type: "gpu_oom".into(),
        count: 690,
        predictions: 1200,
        started_at_ms: Some(T_FAULT),
    }];
    ev.symptoms.push(symptom("error_rate", "1", 0.575, 0.05));
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::InfraGpuOom);
    assert!(why(&d, Category::LabelsDelayed).contains("failed predictions get no label"));
}

/// `late_labels` with CBPE's estimate from `before` to `during` (band
/// +-1.5 points) and, when labels arrived, whether they agree.
fn with_estimate(before: f64, during: f64, labels_agree: Option<bool>) -> Evidence {
    let mut ev = late_labels();
    ev.estimate = Some(EstimateEvidence {
        before: Some(before),
        during,
        during_half_band: 0.015,
        labels_agree,
    });
    ev
}

#[test]
fn an_estimate_that_holds_says_the_model_is_healthy_while_labels_are_late() {
    let ev = with_estimate(0.962, 0.958, Some(true));
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::LabelsDelayed);
    assert!(d.confidence >= 0.9, "{}", d.confidence);
    let line = d
        .evidence
        .iter()
        .find(|l| l.metric == "accuracy_estimated")
        .expect("the estimate is evidence");
    assert_eq!(
        line.claim,
        "the accuracy estimated from the confidences (CBPE) holds, 96.2% -> 95.8% (band +-1.5%): the model looks healthy while its labels are late"
    );
    assert_eq!(line.source, "clickhouse:window_metrics");
    assert_eq!(actions(&propose(&d, &ev)), [Action::WaitForLabels]);
}

#[test]
fn an_estimate_that_fell_or_labels_that_disagree_weaken_late_labels() {
    for (ev, objection) in [
        (with_estimate(0.962, 0.90, None), "fell too, 96.2% -> 90.0%"),
        (
            with_estimate(0.962, 0.96, Some(false)),
            "disagree with the accuracy estimated",
        ),
    ] {
        let d = diagnose(&ev);
        let h = d
            .ranked
            .iter()
            .find(|h| h.category == Category::LabelsDelayed)
            .unwrap();
        assert!(h.score <= 0.45, "{}", h.score);
        assert!(
            h.against.iter().any(|a| a.contains(objection)),
            "{:?}",
            h.against
        );
    }
}
