//! One scenario per root-cause category of issue 11 that drift.toml and
//! rollout.toml (agent_investigate.rs) do not cover, played through the
//! real stack: `mlobs agent investigate` must name the category, its first
//! remedy and the feature or version, and a stream alert must fire within
//! two windows of the fault.
//!
//! Each scenario is drift.toml's world (churn, 10-minute windows, about
//! 1,200 predictions a window, 2h30m in about ten seconds) with its
//! monthly_charges drift replaced by the fault under test, starting at 1h.

mod support;

use serde_json::Value;
use support::investigate::{alerts, detection, report_once};
use support::{stop_gracefully, Pipeline, DEADLINE};

const WINDOW_MS: i64 = 600_000;
/// Every fault starts 1h after the scenario's start (09:00).
const FAULT_AT: &str = "2026-01-05T10:00:00Z";

/// The first stream alert and its delay (see [`detection`]) for the fault.
fn detected(pipeline: &Pipeline) -> (String, f64) {
    detection(pipeline, FAULT_AT, WINDOW_MS)
}

/// drift.toml without its `[[drift]]`, with `versions` in place of its one
/// version and `extra` (the fault) appended.
fn scenario(pipeline: &Pipeline, name: &str, versions: Option<&str>, extra: &str) -> String {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/drift.toml");
    let text = std::fs::read_to_string(shipped).unwrap();
    let (world, _drift) = text
        .split_once("[[drift]]")
        .expect("drift.toml has a drift");
    let one = "[[models.versions]]\nname = \"1\"\n";
    assert!(world.contains(one));
    let world = world.replace(one, versions.unwrap_or(one));
    let path = pipeline.path(&format!("{name}.toml"));
    std::fs::write(&path, format!("{world}{extra}")).unwrap();
    path.display().to_string()
}

/// A pipeline of 10-minute windows that played `extra` to its end (the
/// window counts equal the truth); returns it, the running `mlobs run` and
/// the newest window end of the truth.
fn played(
    name: &str,
    versions: Option<&str>,
    extra: &str,
    env: &[(&str, &str)],
) -> (Pipeline, support::Running, String) {
    let mut pipeline = Pipeline::new(name, 2);
    pipeline.set("MLOBS_WINDOWS_SIZE_MS", &WINDOW_MS.to_string());
    for (k, v) in env {
        pipeline.set(k, v);
    }
    let file = scenario(&pipeline, name, versions, extra);
    let truth = pipeline.simulate(&file);
    let run = pipeline.start("run", &[]);
    pipeline.wait_for(&truth, DEADLINE);
    let end = truth
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["window_end"].as_str())
        .max()
        .unwrap()
        .to_string();
    (pipeline, run, end)
}

/// The report once it covers the whole history and lists `rule` among its
/// symptoms.
fn diagnosis(pipeline: &Pipeline, end: &str, rule: &str) -> Value {
    let report = report_once(pipeline, "churn", |r| {
        r["window_end"] == end && alerts(r).contains(&rule)
    });
    println!("{report:#}");
    report
}

/// The category, confidence and first action, printed for the record.
fn verdict(report: &Value) -> (&str, f64, &str) {
    let v = (
        report["root_cause"]["category"].as_str().unwrap(),
        report["confidence"].as_f64().unwrap(),
        report["proposed_actions"][0]["action"].as_str().unwrap(),
    );
    println!("category {} confidence {} first action {}", v.0, v.1, v.2);
    v
}

#[test]
fn gpu_oom_on_one_version_is_infra_gpu_oom_with_that_version_and_more_resources_first() {
    let versions = "[[models.versions]]\nname = \"1\"\n\n[[models.versions]]\nname = \"2\"\n\n\
                    [[models.traffic]]\nat = \"0s\"\nweights = { \"1\" = 0.5, \"2\" = 0.5 }\n";
    let fault = "[[faults]]\nkind = \"errors\"\ntype = \"gpu_oom\"\nrate = 0.2\n\
                 version = \"2\"\nfrom = \"1h\"\nuntil = \"2h30m\"\n";
    let (pipeline, run, end) = played("categories-oom", Some(versions), fault, &[]);
    let report = diagnosis(&pipeline, &end, "error_rate");
    let (category, confidence, first) = verdict(&report);
    assert_eq!(category, "infra.gpu_oom", "{report:#}");
    assert!(confidence >= 0.5);
    assert_eq!(report["root_cause"]["version"], "2", "{report:#}");
    assert_eq!(first, "scale_resources");
    // The table's "also": only version 2 is affected, so moving off it.
    let also = &report["proposed_actions"][1];
    assert_eq!(also["action"], "rollback", "{report:#}");
    assert_eq!(also["target_version"], "1");
    let (rule, _) = detected(&pipeline);
    assert_eq!(rule, "error_rate");
    stop_gracefully(run);
}

#[test]
fn contention_is_infra_resource_contention_with_more_resources_first() {
    // x20 latency: p95 from about 32 ms to about 640 ms, over the 500 ms SLO.
    let fault = "[[faults]]\nkind = \"resource_contention\"\nfactor = 20\n\
                 from = \"1h\"\nuntil = \"2h30m\"\n";
    let (pipeline, run, end) = played("categories-contention", None, fault, &[]);
    let report = diagnosis(&pipeline, &end, "latency_p95");
    let (category, confidence, first) = verdict(&report);
    assert_eq!(category, "infra.resource_contention", "{report:#}");
    assert!(confidence >= 0.5);
    assert_eq!(first, "scale_resources");
    let evidence = report["evidence"].as_array().unwrap();
    let cpu = evidence
        .iter()
        .find(|e| e["metric"] == "cpu_ms.v1")
        .unwrap_or_else(|| panic!("no CPU line: {report:#}"));
    let ratio = cpu["value"].as_f64().unwrap() / cpu["baseline"].as_f64().unwrap();
    assert!(ratio > 5.0, "CPU time x{ratio}");
    assert!(
        evidence
            .iter()
            .any(|e| e["metric"] == "latency_resource_correlation.v1"),
        "latency moves with the resources: {report:#}"
    );
    let rejected: Vec<&str> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert!(rejected.contains(&"infra.timeouts"), "{rejected:?}");
    let (rule, _) = detected(&pipeline);
    assert_eq!(rule, "latency_p95");
    stop_gracefully(run);
}

#[test]
fn missing_values_are_data_missing_values_on_the_feature_with_an_upstream_fix_first() {
    let fault =
        "[[drift]]\nfeature = \"monthly_charges\"\nkind = \"missing\"\nrate = 0.4\nat = \"1h\"\n";
    let (pipeline, run, end) = played("categories-missing", None, fault, &[]);
    let report = diagnosis(&pipeline, &end, "accuracy_slo");
    let (category, confidence, first) = verdict(&report);
    assert_eq!(category, "data.missing_values", "{report:#}");
    assert!(confidence >= 0.5);
    assert_eq!(report["root_cause"]["feature"], "monthly_charges");
    assert_eq!(first, "fix_upstream_data");
    detected(&pipeline);
    stop_gracefully(run);
}

#[test]
fn a_new_category_is_data_new_values_on_the_feature_with_retrain_first() {
    // "student" replaces half the draws of plan (weight 1 against 1).
    let fault = "[[drift]]\nfeature = \"plan\"\nkind = \"new_category\"\nvalue = \"student\"\n\
                 weight = 1\nat = \"1h\"\n";
    let (pipeline, run, end) = played("categories-new", None, fault, &[]);
    let report = diagnosis(&pipeline, &end, "feature_drift");
    let (category, confidence, first) = verdict(&report);
    assert_eq!(category, "data.new_values", "{report:#}");
    assert!(confidence >= 0.5);
    assert_eq!(report["root_cause"]["feature"], "plan");
    assert_eq!(first, "retrain");
    detected(&pipeline);
    stop_gracefully(run);
}

#[test]
fn labels_ten_times_later_are_labels_delayed_with_waiting_first() {
    // Delays up to 200 minutes: the join must keep predictions that long.
    let fault =
        "[[faults]]\nkind = \"label_delay\"\nfactor = 10\nfrom = \"1h\"\nuntil = \"2h30m\"\n";
    let env = [("MLOBS_JOIN_LABEL_TTL_MS", "14400000")];
    let (pipeline, run, end) = played("categories-labels", None, fault, &env);
    let report = diagnosis(&pipeline, &end, "label_coverage");
    let (category, confidence, first) = verdict(&report);
    assert_eq!(category, "labels.delayed", "{report:#}");
    assert!(confidence >= 0.5);
    assert_eq!(first, "wait_for_labels");
    let delay = report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["metric"] == "label_delay_p50_s")
        .unwrap_or_else(|| panic!("no delay line: {report:#}"));
    let ratio = delay["value"].as_f64().unwrap() / delay["baseline"].as_f64().unwrap();
    assert!(ratio > 5.0, "median delay x{ratio}");
    let (rule, _) = detected(&pipeline);
    assert_eq!(rule, "label_coverage");
    stop_gracefully(run);
}
