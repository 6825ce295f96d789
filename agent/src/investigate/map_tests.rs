use std::collections::BTreeMap;

use super::*;
use crate::reason::evidence::Role;
use crate::tools::accuracy::{Accuracy, VersionAccuracy};
use crate::tools::alerts::{Alert, Alerts};
use crate::tools::distribution::{Distribution, Side};
use crate::tools::drift::{Drift, FeatureVerdict, VersionDrift};
use crate::tools::latency::{LatencyAndErrors, LatencyRow};
use crate::tools::{ModelRef, Range};

fn range() -> Range {
    Range {
        start: "2026-01-05T09:00:00Z".into(),
        end: "2026-01-05T10:00:00Z".into(),
    }
}

fn model() -> ModelRef {
    ModelRef {
        model: "churn".into(),
        version: None,
    }
}

fn acc(version: &str, predictions: u64, labeled: u64, correct: u64) -> VersionAccuracy {
    VersionAccuracy {
        version: version.into(),
        predictions,
        labeled,
        correct,
        accuracy: Some(correct as f64 / labeled as f64),
        label_coverage: Some(labeled as f64 / predictions as f64),
        mae: None,
        label_delay_p50_s: None,
    }
}

fn accuracy(versions: Vec<VersionAccuracy>) -> Accuracy {
    Accuracy {
        model: model(),
        range: range(),
        unit: "fraction (0..1)",
        overall: acc("", 1000, 900, 800),
        versions,
    }
}

#[test]
fn alerts_become_symptoms_with_their_start_and_version() {
    let alerts = Alerts {
        range: range(),
        alerts: vec![Alert {
            alert_id: "a".into(),
            rule: "accuracy_slo".into(),
            severity: "critical".into(),
            status: "resolved".into(),
            model: "churn".into(),
            version: "".into(),
            summary: "".into(),
            metric: "accuracy".into(),
            value: 0.88,
            threshold: 0.95,
            window: range(),
            started_at: "2026-01-05T10:20:00Z".into(),
            updated_at: "2026-01-05T11:00:00Z".into(),
        }],
    };
    let s = symptoms(&alerts);
    assert_eq!(s.len(), 1, "resolved alerts still need explaining");
    assert_eq!(s[0].alert, "accuracy_slo");
    assert_eq!(s[0].version, None, "an empty version is the whole model");
    assert_eq!((s[0].value, s[0].threshold), (0.88, 0.95));
    assert_eq!(
        s[0].started_at_ms,
        mlobs_schemas::time::parse_rfc3339("2026-01-05T10:20:00Z").unwrap()
    );
}

fn verdict(feature: &str, drifted: bool, count: u64) -> FeatureVerdict {
    FeatureVerdict {
        feature: feature.into(),
        kind: "numeric".into(),
        method: "wasserstein".into(),
        score: Some(if drifted { 0.4 } else { 0.02 }),
        threshold: 0.1,
        drifted,
        status: if drifted { "drifted" } else { "ok" }.into(),
        current_count: count,
        current_missing: 10,
    }
}

fn version_drift(version: &str, features: Vec<FeatureVerdict>) -> VersionDrift {
    VersionDrift {
        version: version.into(),
        range: range(),
        monitored: features.len(),
        drifted: 0,
        share_drifted: 0.0,
        dataset_drift: false,
        features,
    }
}

#[test]
fn a_feature_drifted_on_any_version_is_drifted_and_profiles_are_added() {
    let drift = Drift {
        model: model(),
        threshold: 0.5,
        dataset_drift: true,
        versions: vec![
            version_drift("1", vec![verdict("x", false, 990), verdict("y", false, 90)]),
            version_drift("2", vec![verdict("x", true, 90)]),
        ],
    };
    let side = |mean: f64| Side {
        count: 100,
        mean: Some(mean),
        std: Some(20.0),
        percentiles: [("p1", mean - 40.0), ("p50", mean), ("p99", mean + 40.0)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        ..Side::default()
    };
    let dist = Distribution {
        feature: "x".into(),
        kind: "numeric".into(),
        model: model(),
        range: range(),
        current: side(87.5),
        baseline: Some(side(70.0)),
        baseline_source: None,
        unseen_values: vec![],
    };
    let f = features(&drift, &[dist]);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].name, "x");
    assert!(f[0].drifted);
    assert_eq!(f[0].score, Some(0.4));
    assert_eq!(f[0].baseline.unwrap().mean, 70.0);
    assert_eq!(f[0].current.unwrap().p50, 87.5);
    assert!(!f[1].drifted);
    assert_eq!(f[1].missing_rate_current, 0.1, "10 of 100 missing");
    assert_eq!(f[1].baseline, None, "no distribution read");
}

#[test]
fn versions_take_roles_from_aliases_and_compare_on_the_same_spans() {
    let before = accuracy(vec![acc("1", 500, 450, 430), acc("2", 500, 450, 430)]);
    let during = accuracy(vec![
        acc("10", 10, 9, 9),
        acc("2", 500, 450, 300),
        acc("1", 500, 450, 430),
    ]);
    let aliases = BTreeMap::from([("champion".to_string(), "1".to_string())]);
    let v = versions(Some(&before), &during, &aliases, &BTreeMap::new());
    let names: Vec<&str> = v.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(names, ["1", "2", "10"], "numeric order");
    assert_eq!(v[0].role, Role::Champion);
    assert_eq!(v[1].role, Role::None);
    assert_eq!(v[1].during.unwrap().correct, 300);
    assert_eq!(v[1].before.unwrap().correct, 430);
    assert_eq!(v[2].before, None, "no traffic before");
    let l = labels(Some(&before), &during).unwrap();
    assert_eq!((l.coverage_before, l.coverage), (0.9, 0.9));
}

fn row(version: &str, p95: f64, errors: &[(&str, u64)]) -> LatencyRow {
    LatencyRow {
        version: version.into(),
        range: range(),
        predictions: 1000,
        p50_ms: Some(p95 / 2.0),
        p95_ms: Some(p95),
        p99_ms: Some(p95 * 1.5),
        errors: errors.iter().map(|(_, n)| n).sum(),
        error_rate: 0.0,
        errors_by_type: errors.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
    }
}

fn latency_answer(totals: Vec<LatencyRow>, buckets: Vec<LatencyRow>) -> LatencyAndErrors {
    LatencyAndErrors {
        model: model(),
        range: range(),
        bucket_ms: 600_000,
        totals,
        buckets,
    }
}

#[test]
fn errors_per_type_start_at_their_first_bucket_and_latency_compares_before() {
    let during = latency_answer(
        vec![
            row("2", 90.0, &[("gpu_oom", 50), ("timeout", 0)]),
            row("1", 30.0, &[]),
        ],
        vec![row("2", 90.0, &[("gpu_oom", 50)])],
    );
    let e = errors(&during);
    assert_eq!(e.len(), 1, "types with no error are left out");
    assert_eq!(
        (e[0].version.as_str(), e[0].error_type.as_str()),
        ("2", "gpu_oom")
    );
    assert_eq!((e[0].count, e[0].predictions), (50, 1000));
    assert_eq!(
        e[0].started_at_ms,
        mlobs_schemas::time::parse_rfc3339("2026-01-05T10:00:00Z").ok()
    );
    let before = latency_answer(vec![row("1", 30.0, &[])], vec![]);
    let l = latency(Some(&before), &during);
    assert_eq!(
        (l[0].p95_ms_before, l[0].p95_ms),
        (90.0, 90.0),
        "no traffic before: no rise"
    );
    assert_eq!((l[1].p95_ms_before, l[1].p95_ms), (30.0, 30.0));
}

#[test]
fn label_delay_compares_before_and_during_and_falls_back_to_no_rise() {
    let mut before = accuracy(vec![acc("1", 500, 450, 430)]);
    let mut during = accuracy(vec![acc("1", 500, 450, 430)]);
    before.overall.label_delay_p50_s = Some(120.0);
    during.overall.label_delay_p50_s = Some(1500.0);
    let l = labels(Some(&before), &during).unwrap();
    assert_eq!((l.delay_p50_s_before, l.delay_p50_s), (120.0, 1500.0));
    before.overall.label_delay_p50_s = None;
    let l = labels(Some(&before), &during).unwrap();
    assert_eq!((l.delay_p50_s_before, l.delay_p50_s), (1500.0, 1500.0));
    during.overall.label_delay_p50_s = None;
    let l = labels(None, &during).unwrap();
    assert_eq!((l.delay_p50_s_before, l.delay_p50_s), (0.0, 0.0));
}

fn usage_bucket(version: &str, minute: i64, cpu: f64, gpu: f64, p95: f64) -> UsageBucket {
    let start = mlobs_schemas::time::parse_rfc3339("2026-01-05T09:00:00Z").unwrap();
    let at = |m: i64| mlobs_schemas::time::format_rfc3339(start + m * 60_000);
    UsageBucket {
        version: version.into(),
        range: Range {
            start: at(minute),
            end: at(minute + 10),
        },
        predictions: 100,
        cpu_time_ms_mean: Some(cpu),
        gpu_memory_mb_mean: Some(1800.0),
        gpu_memory_mb_max: Some(1800.0),
        gpu_utilization_mean: Some(gpu),
        latency_p95_ms: Some(p95),
        error_rate: 0.0,
    }
}

#[test]
fn resources_split_at_the_first_symptom_and_correlate_per_version() {
    let split = mlobs_schemas::time::parse_rfc3339("2026-01-05T09:30:00Z").ok();
    // Version 1 contended from 09:30; version 2 steady but at another level.
    let mut buckets = Vec::new();
    for m in [0, 10, 20, 30, 40, 50] {
        let contended = m >= 30;
        let (cpu, gpu, p95) = if contended {
            (40.0 + m as f64 / 10.0, 0.97, 70.0 + m as f64 / 5.0)
        } else {
            (10.0 + m as f64 / 100.0, 0.35, 20.0 + m as f64 / 50.0)
        };
        buckets.push(usage_bucket("1", m, cpu, gpu, p95));
        buckets.push(usage_bucket("2", m, 100.0, 0.35, 200.0));
    }
    let usage = ResourceUsage {
        model: model(),
        range: range(),
        bucket_ms: 600_000,
        buckets,
        correlations: vec![],
    };
    let during = latency_answer(vec![row("1", 75.0, &[]), row("2", 200.0, &[])], vec![]);
    let mut l = latency(None, &during);
    resources(&mut l, &usage, split);
    let v1 = &l[0];
    assert!((v1.cpu_ms_before.unwrap() - 10.1).abs() < 1e-9, "{v1:?}");
    assert!((v1.cpu_ms.unwrap() - 44.0).abs() < 1e-9, "{v1:?}");
    assert_eq!(
        (v1.gpu_utilization_before, v1.gpu_utilization),
        (Some(0.35), Some(0.97))
    );
    assert!(v1.cpu_latency_correlation.unwrap() > 0.99);
    assert!(v1.gpu_latency_correlation.unwrap() > 0.9);
    let v2 = &l[1];
    assert_eq!((v2.cpu_ms_before, v2.cpu_ms), (Some(100.0), Some(100.0)));
    assert_eq!(v2.cpu_latency_correlation, None, "constant: no correlation");
    // Without a symptom both sides are the whole span: no rise.
    let mut whole = latency(None, &during);
    resources(&mut whole, &usage, None);
    assert_eq!(whole[0].cpu_ms_before, whole[0].cpu_ms);
}
