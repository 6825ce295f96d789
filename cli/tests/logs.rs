//! Logs an operator (or a log pipeline) can use: with `--log-format json`
//! every line is one JSON object with a timestamp, a level and a target;
//! lines about a partition carry the stage, the group and the partition;
//! librdkafka's own errors arrive as lines of target `librdkafka`. The
//! assertions are on those fields, never on wording.

mod support;

use std::net::TcpListener;

use mlobs_testkit::wait_until;
use serde_json::Value;
use support::{stop_gracefully, Pipeline, DEADLINE};

/// Every line of instance `name`'s log, parsed; panics on a line that is
/// not a JSON object with the standard fields.
fn json_lines(pipeline: &Pipeline, name: &str) -> Vec<Value> {
    std::fs::read_to_string(pipeline.log(name))
        .unwrap()
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
            for field in ["timestamp", "level", "target"] {
                assert!(value[field].is_string(), "no {field} in {line}");
            }
            value
        })
        .collect()
}

#[test]
fn json_logs_carry_stage_group_and_partition() {
    let pipeline = Pipeline::new("logs-json", 2);
    let run = pipeline.start("run", &["--log-format", "json"]);
    pipeline.simulate("baseline.toml");
    // A line inside a partition's span names all three.
    let line = wait_until(DEADLINE, "a log line of a stage-1 partition", || {
        json_lines(&pipeline, "run").into_iter().find(|l| {
            let span = &l["span"];
            span["stage"] == "join" && span["partition"].is_number() && span["group"].is_string()
        })
    });
    assert!(
        line["span"]["group"].as_str().unwrap().ends_with("-join"),
        "{line}"
    );
    stop_gracefully(run);
    json_lines(&pipeline, "run");
    pipeline.drop_database();
}

#[test]
fn librdkafka_errors_reach_the_log_as_structured_lines() {
    let mut pipeline = Pipeline::new("logs-broker", 1);
    // A port nothing listens on: every connection is refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    pipeline.set("MLOBS_KAFKA_BROKERS", &format!("127.0.0.1:{port}"));
    let run = pipeline.start("run", &["--log-format", "json"]);
    let line = wait_until(DEADLINE, "librdkafka's error in the log", || {
        json_lines(&pipeline, "run").into_iter().find(|l| {
            l["target"] == "librdkafka" && matches!(l["level"].as_str(), Some("WARN" | "ERROR"))
        })
    });
    assert!(line["message"].is_string(), "{line}");
    drop(run);
}
