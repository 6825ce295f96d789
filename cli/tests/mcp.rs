//! `mlobs mcp serve` driven by the official Python MCP client over both
//! transports, on a fresh ClickHouse database holding the agent tools'
//! scenario (agent/tests/support: two versions of `churn` with known
//! accuracy and errors, a `fraud` model sharing the feature "tenure", drift
//! verdicts, an alert). Every tool is listed and called; the calls answer exactly what
//! the tools library answers in-process, which the truth checks pin down;
//! bad arguments come back as tool errors with their message; HTTP without
//! the token or with a wrong one gets 401 and no data.

// The agent tools' scenario and its truth, shared rather than copied.
#[path = "../../agent/tests/support/mod.rs"]
mod scenario;

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mlobs_agent::graph::incident::action_id;
use mlobs_agent::graph::{Incident, IncidentStatus, Node};
use mlobs_agent::mcp::TOOL_NAMES;
use mlobs_agent::reason::Action as Remedy;
use mlobs_agent::tools::logs::Filters;
use mlobs_agent::tools::Tools;
use mlobs_agent::worker::store::Store;
use mlobs_pipeline::shutdown::Shutdown;
use mlobs_pipeline::Config;
use mlobs_testkit::{run_reference_python, services::free_port, wait_until};
use serde_json::{json, Value};

/// The scenario's 40 minutes of traffic (ending at [`scenario::NOW`]) as
/// an explicit range, so that the server (whose "now" is the clock's)
/// and the in-process library read the same rows.
const RANGE: &str = "2025-06-15T14:06:40Z/2025-06-15T15:06:40Z";

/// The calls made over MCP that must succeed, with the library's answer.
fn good_calls(tools: &Tools, incident: &str) -> Vec<(Value, Value)> {
    let logs = Filters {
        time_window: Some(RANGE.into()),
        error_type: Some("any".into()),
        limit: Some(5),
        ..Filters::default()
    };
    vec![
        (
            json!({"name": "get_model_accuracy", "arguments": {"model_name": "churn", "time_window": RANGE}}),
            to(tools.get_model_accuracy("churn", None, RANGE)),
        ),
        (
            json!({"name": "compare_model_versions", "arguments": {"model_a": "churn:1", "model_b": "churn:2"}}),
            to(tools.compare_model_versions("churn:1", "churn:2", None)),
        ),
        (
            json!({"name": "get_latency_and_errors", "arguments": {"model_name": "churn", "time_window": RANGE, "bucket": "10m"}}),
            to(tools.get_latency_and_errors("churn", RANGE, Some("10m"))),
        ),
        (
            json!({"name": "query_inference_logs", "arguments": {"model_name": "churn", "version": "2", "filters": {"time_window": RANGE, "error_type": "any", "limit": 5}}}),
            to(tools.query_inference_logs("churn", Some("2"), &logs)),
        ),
        (
            json!({"name": "find_error_slices", "arguments": {"model_name": "churn", "time_window": RANGE}}),
            to(tools.find_error_slices("churn", RANGE, None, None)),
        ),
        (
            json!({"name": "list_alerts", "arguments": {"model_name": "churn", "time_window": RANGE}}),
            to(tools.list_alerts(Some("churn"), None, RANGE)),
        ),
        (
            json!({"name": "detect_data_drift", "arguments": {"model_name": "churn", "threshold": 0.5}}),
            to(tools.detect_data_drift("churn", Some(0.5))),
        ),
        (
            json!({"name": "get_feature_distribution", "arguments": {"feature_name": "tenure", "time_window": RANGE, "model_name": "churn"}}),
            to(tools.get_feature_distribution("tenure", RANGE, Some("churn"))),
        ),
        (
            json!({"name": "get_resource_usage", "arguments": {"model_name": "churn", "time_window": RANGE, "bucket": "10m"}}),
            to(tools.get_resource_usage("churn", RANGE, Some("10m"))),
        ),
        (
            json!({"name": "get_incident", "arguments": {"incident_id": incident}}),
            to(tools.get_incident(Some(incident), None)),
        ),
        (
            json!({"name": "estimate_performance", "arguments": {"model_name": "churn", "time_window": RANGE}}),
            to(tools.estimate_performance("churn", None, RANGE)),
        ),
    ]
}

/// The library's answer as JSON.
fn to<T: serde::Serialize>(answer: Result<T, mlobs_agent::tools::ToolError>) -> Value {
    serde_json::to_value(answer.expect("the library answers")).expect("serializable")
}

/// Calls that must be tool errors, with a piece of their message.
fn bad_calls() -> Vec<(Value, &'static str)> {
    vec![
        (
            json!({"name": "get_model_accuracy", "arguments": {"model_name": "chrun", "time_window": RANGE}}),
            "unknown model \"chrun\"",
        ),
        (
            json!({"name": "get_feature_distribution", "arguments": {"feature_name": "tenure", "time_window": RANGE}}),
            "pass model_name",
        ),
        (
            json!({"name": "get_model_accuracy", "arguments": {"model_name": "churn", "time_window": "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z"}}),
            "widen time_window",
        ),
        (
            json!({"name": "get_incident", "arguments": {"incident_id": "no-such-incident"}}),
            "no incident of the agent matches",
        ),
    ]
}

/// The write tools' calls: a rollback asked for (the default policy makes
/// it wait), approved, and approved again (refused). Over the second
/// transport the same request is the same, now approved, action.
fn write_calls() -> Vec<Value> {
    vec![
        json!({"name": "rollback_model", "arguments": {"model_name": "churn", "version": "1"}}),
        json!({"name": "approve_action", "arguments": {"action_id": rollback_id(), "reason": "canary is bad"}}),
    ]
}

/// The id of the rollback of churn to version 1 asked for over MCP (the
/// action's idempotency key: no incident, the model, the remedy, the target).
fn rollback_id() -> String {
    action_id("/churn", Remedy::Rollback, Some("1"))
}

/// Checks the write tools' answers; `first` over the first transport.
fn judge_writes(calls: &[Value], first: bool) {
    let [requested, approved] = calls else {
        panic!("two write calls: {calls:?}")
    };
    assert_eq!(requested["is_error"], false, "{requested}");
    let action = &requested["structured"];
    assert_eq!(action["action"], "rollback");
    assert_eq!(action["target_version"], "1");
    assert_eq!(action["requested_by"], "mcp");
    let expected = if first {
        "awaiting_approval"
    } else {
        "approved"
    };
    assert_eq!(action["status"], expected, "require is the default policy");
    if first {
        assert_eq!(approved["is_error"], false, "{approved}");
        assert_eq!(approved["structured"]["status"], "approved");
        assert_eq!(approved["structured"]["decided_by"], "mcp");
    } else {
        assert_eq!(approved["is_error"], true, "{approved}");
        assert!(approved["text"]
            .as_str()
            .unwrap()
            .contains("not awaiting approval"));
    }
}

/// Checks what the Python client saw against the library and the truth.
fn judge(out: &Value, tools: &Tools, rows: &[scenario::Row], incident: &str) {
    let listed = out["tools"].as_object().expect("tools listed");
    for name in TOOL_NAMES {
        let schema = &listed.get(name).unwrap_or_else(|| panic!("{name} listed"));
        assert_eq!(schema["type"], "object", "{name}: {schema}");
    }
    let accuracy_schema = &listed["get_model_accuracy"];
    assert!(accuracy_schema["properties"]["time_window"].is_object());
    let good = good_calls(tools, incident);
    let bad = bad_calls();
    let calls = out["calls"].as_array().expect("calls");
    assert_eq!(calls.len(), good.len() + bad.len() + write_calls().len());
    for ((call, expected), got) in good.iter().zip(calls) {
        assert_eq!(got["is_error"], false, "{call}: {got}");
        assert_eq!(&got["structured"], expected, "{call}");
        let text: Value = serde_json::from_str(got["text"].as_str().unwrap()).expect("JSON text");
        assert_eq!(&text, expected, "{call}: text");
    }
    for ((call, message), got) in bad.iter().zip(&calls[good.len()..]) {
        assert_eq!(got["is_error"], true, "{call}: {got}");
        let text = got["text"].as_str().unwrap();
        assert!(text.contains(message), "{call}: {text}");
    }
    let writes = &calls[good.len() + bad.len()..];
    judge_writes(writes, out["transport"] == "stdio");
    // The truth: v2's labeled and correct counts, recomputed from the rows.
    let versions = calls[0]["structured"]["versions"].as_array().unwrap();
    let v2 = versions.iter().find(|v| v["version"] == "2").expect("v2");
    let labeled: Vec<_> = rows
        .iter()
        .filter(|r| r.version == "2" && !r.failed)
        .collect();
    assert_eq!(v2["labeled"], labeled.len() as u64);
    assert_eq!(
        v2["correct"],
        labeled.iter().filter(|r| r.correct).count() as u64
    );
    let failed = rows.iter().filter(|r| r.version == "2" && r.failed).count() as u64;
    assert_eq!(calls[1]["structured"]["b"]["errors"], failed);
    let alerts = calls[5]["structured"]["alerts"].as_array().unwrap();
    assert_eq!(alerts[0]["alert_id"], "a1");
}

fn client() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py")
}

/// The server's environment: the test's database and topics (named
/// `<database>.<topic>`), the local stack.
fn server_env(database: &str) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| !k.starts_with("MLOBS_"))
        .collect();
    env.push(("MLOBS_CLICKHOUSE_DATABASE".into(), database.into()));
    for (key, _) in mlobs_pipeline::config::Topics::default().all() {
        let topic = key.trim_start_matches("kafka.topics.");
        let name = format!("{database}.{topic}");
        env.push((format!("MLOBS_KAFKA_TOPICS_{}", topic.to_uppercase()), name));
    }
    env
}

/// Creates the test's agent topics and saves an incident there and in its
/// database, as the worker does; returns the incident's id.
fn saved_incident(database: &str) -> String {
    let created = Command::new(env!("CARGO_BIN_EXE_mlobs"))
        .args(["topics", "create"])
        .env_clear()
        .envs(server_env(database))
        .output()
        .expect("mlobs runs");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let config = Config::load_with_env(None, server_env(database)).expect("the config");
    let clickhouse = mlobs_pipeline::sinks::clickhouse::ClickHouse::from_config(&config.clickhouse)
        .expect("clickhouse config");
    let mut store =
        Store::open(&config.kafka, clickhouse, &Shutdown::default()).expect("the store");
    let incident = Incident {
        incident_id: "incident-1".into(),
        model: "churn".into(),
        environment: "production".into(),
        node: Node::Act,
        status: IncidentStatus::Open,
        opened_by: "a1".into(),
        alerts: ["a1".to_string()].into(),
        firing: ["a1".to_string()].into(),
        report: None,
        narration: None,
        action_id: None,
        follow_up_ids: Vec::new(),
        verify_after_ms: None,
        resolution: String::new(),
        opened_ms: 1_750_000_000_000,
        updated_ms: 1_750_000_000_000,
    };
    store.save_incident(&incident).expect("saved");
    incident.incident_id
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_mcp_server_answers_over_stdio_and_http_with_auth() {
    let (db, tools, rows) = scenario::setup();
    let database = db.0.database().to_string();
    let _topics = mlobs_testkit::OwnTopics::on(&mlobs_testkit::brokers(), &[&database]);
    let incident = saved_incident(&database);
    let requests: Vec<Value> = good_calls(&tools, &incident)
        .into_iter()
        .map(|(c, _)| c)
        .chain(bad_calls().into_iter().map(|(c, _)| c))
        .chain(write_calls())
        .collect();

    // stdio: the client starts the server itself, as Claude Desktop does.
    let env: serde_json::Map<String, Value> = server_env(&database)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let input = json!({"transport": "stdio", "command": [env!("CARGO_BIN_EXE_mlobs"), "mcp", "serve", "--stdio"],
                       "env": env, "calls": requests});
    let out: Value = serde_json::from_str(&run_reference_python(&client(), &input.to_string()))
        .expect("the client prints JSON");
    judge(&out, &tools, &rows, &incident);

    // HTTP: refused without a token configured, then served with one.
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let refused = Command::new(env!("CARGO_BIN_EXE_mlobs"))
        .args(["mcp", "serve", "--listen", &address])
        .env_clear()
        .envs(server_env(&database))
        .output()
        .expect("mlobs runs");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("MLOBS_MCP_TOKEN"));

    let token = "test-token-0123456789";
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_mlobs"))
            .args(["mcp", "serve", "--listen", &address])
            .env_clear()
            .envs(server_env(&database))
            .env("MLOBS_MCP_TOKEN", token)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("mlobs starts"),
    );
    wait_until(
        Duration::from_secs(30),
        "the MCP HTTP server listens",
        || TcpStream::connect(&address).ok(),
    );
    let input = json!({"transport": "http", "url": format!("http://{address}/mcp"), "token": token,
                       "calls": requests});
    let out: Value = serde_json::from_str(&run_reference_python(&client(), &input.to_string()))
        .expect("the client prints JSON");
    for case in ["no_token", "wrong_token"] {
        assert_eq!(out[case]["status"], 401, "{case}: {}", out[case]);
        assert!(
            !out[case]["body"].as_str().unwrap().contains("churn"),
            "{case}"
        );
    }
    assert_eq!(out["wrong_path"]["status"], 404, "{}", out["wrong_path"]);
    judge(&out, &tools, &rows, &incident);
}
