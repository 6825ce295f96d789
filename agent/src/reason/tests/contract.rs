//! The JSON contract of `mlobs agent investigate` (issue 11), and its text.

use serde_json::Value;

use super::*;
use crate::reason::investigate;

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

#[test]
fn the_json_has_exactly_the_contract_shape() {
    let report = investigate(&incident_world());
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(
        keys(&v),
        [
            "confidence",
            "evidence",
            "model",
            "proposed_actions",
            "rejected",
            "root_cause",
            "symptoms",
            "window_end",
            "window_start"
        ]
    );
    assert_eq!(v["model"], "churn");
    assert_eq!(v["window_start"], "2026-01-05T10:00:00Z");
    assert_eq!(
        v["symptoms"],
        serde_json::json!([{"alert": "accuracy_slo", "value": 0.886, "threshold": 0.95}, {"alert": "feature_drift", "value": 2.9, "threshold": 0.1}])
    );
    assert_eq!(
        v["root_cause"],
        serde_json::json!({"category": "data.drift", "feature": "monthly_charges", "version": null})
    );
    assert!(v["confidence"].as_f64().unwrap() > 0.5);
    for e in v["evidence"].as_array().unwrap() {
        assert_eq!(keys(e), ["baseline", "claim", "metric", "source", "value"]);
    }
    assert_eq!(v["evidence"][0]["source"], "clickhouse:feature_drift");
    assert_eq!(v["evidence"][0]["baseline"], 70.1);
    let rejected = v["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 10);
    for r in rejected {
        assert_eq!(keys(r), ["category", "why"]);
    }
    assert!(rejected
        .iter()
        .any(|r| r["category"] == "model.version_bug"));
    let actions = v["proposed_actions"].as_array().unwrap();
    for a in actions {
        assert_eq!(keys(a), ["action", "expected_effect", "target_version"]);
    }
    assert_eq!(actions[0]["action"], "rollback");
    assert_eq!(actions[0]["target_version"], "1");
    assert_eq!(actions[1]["action"], "retrain");
    assert_eq!(actions[1]["target_version"], Value::Null);
    // The contract reads back into the same report.
    let back: crate::reason::InvestigationReport = serde_json::from_value(v).unwrap();
    assert_eq!(back, report);
}

#[test]
fn every_category_id_is_the_contracts() {
    let ids: Vec<String> = Category::ALL
        .iter()
        .map(|c| {
            serde_json::to_value(c)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        ids,
        [
            "data.drift",
            "data.missing_values",
            "data.new_values",
            "data.outliers",
            "model.version_bug",
            "model.schema_mismatch",
            "infra.gpu_oom",
            "infra.timeouts",
            "infra.resource_contention",
            "labels.delayed",
            "none"
        ]
    );
    for c in Category::ALL {
        assert_eq!(serde_json::to_value(c).unwrap(), c.id());
    }
    let ids: Vec<Value> = [
        Action::Rollback,
        Action::Retrain,
        Action::ScaleResources,
        Action::FixUpstreamData,
        Action::WaitForLabels,
        Action::None,
    ]
    .iter()
    .map(|a| serde_json::to_value(a).unwrap())
    .collect();
    assert_eq!(
        ids,
        [
            "rollback",
            "retrain",
            "scale_resources",
            "fix_upstream_data",
            "wait_for_labels",
            "none"
        ]
    );
}

#[test]
fn evidence_reads_from_minimal_json_with_default_sources() {
    let ev: Evidence = serde_json::from_str(
        r#"{"model": "churn", "window_start": "a", "window_end": "b", "window_ms": 600000,
            "versions": [{"version": "1", "role": "champion", "during": {"labeled": 10, "correct": 9}}]}"#,
    )
    .unwrap();
    assert_eq!(ev.champion().unwrap().during.unwrap().rate(), Some(0.9));
    assert_eq!(ev.sources.registry, "mlflow:registry");
}

#[test]
fn the_text_puts_cause_and_actions_first() {
    let text = investigate(&incident_world()).to_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "model churn from 2026-01-05T10:00:00Z to 2026-01-05T10:40:00Z"
    );
    assert!(
        lines[1].starts_with("root cause: data.drift (feature monthly_charges), confidence 0."),
        "{}",
        lines[1]
    );
    assert!(
        text.contains("  1. rollback to version 1: immediate: serve version 1"),
        "{text}"
    );
    assert!(text.contains("  2. retrain: long-term"), "{text}");
    assert!(text.contains("model.version_bug: score"), "{text}");
}
