//! Running `mlobs agent investigate` from a test and reading its report,
//! and the agent's incidents.

use mlobs_testkit::wait_until;
use serde_json::Value;

use super::{Pipeline, DEADLINE};

/// The incidents as `mlobs agent incidents --format json` lists them.
pub fn incidents(pipeline: &Pipeline) -> Vec<Value> {
    let listed: Value =
        serde_json::from_str(&pipeline.succeed(&["agent", "incidents", "--format", "json"]))
            .unwrap();
    listed.as_array().unwrap().clone()
}

/// The first incident for which `ready` holds, once one does within
/// `deadline`.
pub fn incident_once(
    pipeline: &Pipeline,
    deadline: std::time::Duration,
    what: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    wait_until(deadline, what, || {
        incidents(pipeline).into_iter().find(&ready)
    })
}

/// The report once `ready` holds (the history is written asynchronously);
/// the deadline fails the test with the last report.
pub fn report_once(pipeline: &Pipeline, model: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let last = std::cell::RefCell::new(Value::Null);
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until(DEADLINE, "the investigation's report", || {
            let out = pipeline
                .mlobs(&["agent", "investigate", "--model", model, "--format", "json"])
                .output()
                .unwrap();
            let report: Value = serde_json::from_slice(&out.stdout).ok()?;
            *last.borrow_mut() = report.clone();
            ready(&report).then_some(report)
        })
    }));
    found.unwrap_or_else(|_| panic!("no ready report; the last one:\n{:#}", last.borrow()))
}

/// The alert ids among the report's symptoms.
pub fn alerts(report: &Value) -> Vec<&str> {
    report["symptoms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["alert"].as_str().unwrap())
        .collect()
}

/// The first stream alert to fire: (rule, windows from the fault's start
/// at `fault_at` (RFC 3339) to the end of the window that made it fire).
/// Asserts it fired on the second window of the fault at the latest
/// (`for_windows` = 2 is the fastest the rules allow) and not before the
/// fault.
pub fn detection(pipeline: &Pipeline, fault_at: &str, window_ms: i64) -> (String, f64) {
    let fault = mlobs_schemas::time::parse_rfc3339(fault_at).unwrap();
    let alerts = pipeline.alerts();
    let first = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["source"] == "stream")
        .min_by_key(|a| a["started_at"].as_i64().unwrap())
        .unwrap_or_else(|| panic!("no stream alert: {alerts:#}"));
    let started = first["started_at"].as_i64().unwrap();
    let windows = (started - fault) as f64 / window_ms as f64;
    let rule = first["rule"].as_str().unwrap().to_string();
    println!("first alert {rule} fired at the end of window {windows} of the fault");
    assert!(started > fault, "an alert before the fault: {first:#}");
    assert!(
        windows <= 2.0,
        "detected {windows} windows after the fault: {alerts:#}"
    );
    (rule, windows)
}
