//! Running `mlobs agent investigate` from a test and reading its report.

use mlobs_testkit::wait_until;
use serde_json::Value;

use super::{Pipeline, DEADLINE};

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
