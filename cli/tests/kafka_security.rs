//! mlobs against a broker that authenticates and authorizes: a SASL_SSL
//! listener (SCRAM-SHA-512, a certificate signed by a CA the test made)
//! with Kafka's standard authorizer. Each component runs as a principal of
//! its own that holds exactly the ACLs `mlobs topics acls` lists for it, and
//! nothing else is granted: the pipeline, the simulator, the agent, the MCP
//! server, the readers and the Python SDK all do their whole job. A wrong
//! password, an unknown CA or a missing ACL ends a command within 10 s with
//! one line naming the setting or the ACL.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mlobs_testkit::services::PrivateService;
use mlobs_testkit::{reference_python, run_python, sdk_python, wait_until};
use serde_json::{json, Value};
use support::investigate::incident_once;
use support::{counts, stop_gracefully, Pipeline, DEADLINE};

/// Every principal the broker knows, with its password.
const USERS: [(&str, &str); 9] = [
    ("admin", "admin-secret"),
    ("mlobs-topics", "topics-secret"),
    ("mlobs-pipeline", "pipeline-secret"),
    ("mlobs-producer", "producer-secret"),
    ("mlobs-agent", "agent-secret"),
    ("mlobs-mcp", "mcp-secret"),
    ("mlobs-reader", "reader-secret"),
    ("mlobs-no-labels", "no-labels-secret"),
    ("mlobs-no-group", "no-group-secret"),
];

/// Who runs what, and the component whose ACLs it holds.
const ROLES: [(&str, &str); 6] = [
    ("mlobs-topics", "topics"),
    ("mlobs-pipeline", "run"),
    ("mlobs-producer", "producer"),
    ("mlobs-agent", "agent"),
    ("mlobs-mcp", "mcp"),
    ("mlobs-reader", "reader"),
];

/// How long a misconfigured command may take to say what is wrong.
const ANSWER: Duration = Duration::from_secs(10);

fn password(user: &str) -> &'static str {
    USERS
        .iter()
        .find(|(u, _)| *u == user)
        .expect("a known user")
        .1
}

/// The librdkafka settings of a SASL_SSL client of `kafka` as `user`.
fn client_settings(kafka: &PrivateService, user: &str) -> Vec<(&'static str, String)> {
    vec![
        ("security.protocol", "SASL_SSL".into()),
        ("sasl.mechanism", "SCRAM-SHA-512".into()),
        ("ssl.ca.location", kafka.ca_file().display().to_string()),
        ("sasl.username", user.into()),
        ("sasl.password", password(user).into()),
    ]
}

/// Makes what starts next connect to `kafka` as `user`.
fn connect_as(pipeline: &mut Pipeline, kafka: &PrivateService, user: &str) {
    pipeline.set("MLOBS_KAFKA_BROKERS", &kafka.address());
    for (key, value) in client_settings(kafka, user) {
        let variable = format!("MLOBS_LIBRDKAFKA_{}", key.replace('.', "_").to_uppercase());
        pipeline.set(&variable, &value);
    }
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/kafka")
        .join(name)
}

/// The admin's connection for cli/tests/kafka/acls.py.
fn admin_connection(kafka: &PrivateService) -> Value {
    let mut connection = json!({"bootstrap.servers": kafka.address()});
    for (key, value) in client_settings(kafka, "admin") {
        connection[key] = json!(value);
    }
    connection
}

/// Grants `user` what `mlobs topics acls` lists for `component`, except
/// the ACLs `leave_out` rejects; returns what was granted.
fn grant(
    pipeline: &Pipeline,
    kafka: &PrivateService,
    user: &str,
    component: &str,
    leave_out: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let principal = format!("User:{user}");
    let listed = pipeline.succeed(&[
        "topics",
        "acls",
        "--principal",
        &principal,
        "--for",
        component,
        "--format",
        "json",
    ]);
    let acls: Vec<Value> = serde_json::from_str::<Vec<Value>>(&listed)
        .unwrap()
        .into_iter()
        .filter(|acl| !leave_out(acl))
        .collect();
    let request = json!({"connection": admin_connection(kafka), "acls": acls});
    let created = run_python(&sdk_python(), &script("acls.py"), &request.to_string());
    assert_eq!(created.trim(), acls.len().to_string());
    acls
}

/// Every ACL the broker holds, sorted.
fn acls_on(kafka: &PrivateService) -> Vec<Value> {
    let request = json!({"connection": admin_connection(kafka)});
    let listed = run_python(&sdk_python(), &script("acls.py"), &request.to_string());
    let mut acls: Vec<Value> = serde_json::from_str(&listed).unwrap();
    acls.sort_by_key(Value::to_string);
    acls
}

/// Approves `action` through `mlobs mcp serve` (stdio, the official MCP
/// client), running as `pipeline` is set to run now.
fn approve_over_mcp(pipeline: &Pipeline, action: &str) {
    let server = pipeline.mlobs(&[]);
    let mut env: serde_json::Map<String, Value> = std::env::vars()
        .filter(|(k, _)| !k.starts_with("MLOBS_"))
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    for (key, value) in server.get_envs() {
        if let (Some(value), Some(key)) = (value, key.to_str()) {
            env.insert(key.into(), json!(value.to_string_lossy()));
        }
    }
    let input = json!({
        "transport": "stdio",
        "command": [env!("CARGO_BIN_EXE_mlobs"), "mcp", "serve", "--stdio"],
        "env": env,
        "calls": [{"name": "approve_action", "arguments": {"action_id": action, "approve": true}}],
    });
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
    let out: Value = serde_json::from_str(&run_python(
        &reference_python(),
        &client,
        &input.to_string(),
    ))
    .unwrap();
    let call = &out["calls"][0];
    assert_eq!(call["is_error"], false, "{call:#}");
    assert_eq!(call["structured"]["status"], "approved", "{call:#}");
}

#[test]
fn every_component_runs_with_exactly_the_acls_it_lists() {
    let kafka = PrivateService::kafka_secure(&USERS);
    let mut granted = Vec::new();
    let (mut pipeline, model, scenario) = Pipeline::section_7_with("kafka-acls", |pipeline| {
        for (user, component) in ROLES {
            granted.extend(grant(pipeline, &kafka, user, component, |_| false));
        }
        connect_as(pipeline, &kafka, "mlobs-topics");
    });
    granted.sort_by_key(Value::to_string);
    assert_eq!(
        acls_on(&kafka),
        granted,
        "the broker holds these ACLs and no more"
    );

    connect_as(&mut pipeline, &kafka, "mlobs-pipeline");
    let run = pipeline.start("run", &[]);
    connect_as(&mut pipeline, &kafka, "mlobs-agent");
    let agent = pipeline.agent();
    connect_as(&mut pipeline, &kafka, "mlobs-producer");
    let simulator = pipeline.simulate_registered(&scenario);

    connect_as(&mut pipeline, &kafka, "mlobs-reader");
    let waiting = incident_once(&pipeline, DEADLINE, "an action awaiting approval", |i| {
        i["action"]["status"] == "awaiting_approval"
    });
    assert_eq!(waiting["model"], model.as_str());
    let action = waiting["action"]["action_id"].as_str().unwrap().to_string();
    connect_as(&mut pipeline, &kafka, "mlobs-mcp");
    approve_over_mcp(&pipeline, &action);
    connect_as(&mut pipeline, &kafka, "mlobs-reader");
    let closed = incident_once(&pipeline, DEADLINE, "the incident to close", |i| {
        i["status"] != "open"
    });
    assert_eq!(closed["status"], "resolved", "{closed:#}");
    assert_eq!(closed["action"]["decided_by"], "mcp");

    let truth = pipeline.background_truth(simulator);
    pipeline.wait_for(&truth, DEADLINE);
    let alerts = pipeline.alerts();
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["rule"] == "feature_drift" && a["details"]["feature"] == "monthly_charges"),
        "{alerts:#}"
    );

    // A model server with the Python SDK, as the producer, an hour after
    // the scenario (earlier events would be late: their windows closed).
    let last_end = counts(&truth).iter().map(|w| w.3.clone()).max().unwrap();
    let start_ms = mlobs_schemas::time::parse_rfc3339(&last_end).unwrap() + 3_600_000;
    let settings: serde_json::Map<String, Value> = client_settings(&kafka, "mlobs-producer")
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let request = json!({
        "brokers": kafka.address(), "predictions": pipeline.topic("predictions"),
        "labels": pipeline.topic("labels"), "n": 50, "start_ms": start_ms,
        "librdkafka": settings,
    });
    let stats: Value = serde_json::from_str(&run_python(
        &sdk_python(),
        &script("sdk_send.py"),
        &request.to_string(),
    ))
    .unwrap();
    for logger in ["predictions", "labels"] {
        assert_eq!(stats[logger]["delivered"], 50, "{stats}");
    }
    wait_until(DEADLINE, "the SDK's 50 predictions in the windows", || {
        let counted: u64 = pipeline
            .windows()
            .as_array()?
            .iter()
            .filter(|w| w["model"] == "sdk-secure")
            .map(|w| w["predictions"].as_u64().unwrap_or(0))
            .sum();
        (counted == 50).then_some(())
    });
    stop_gracefully(agent);
    stop_gracefully(run);
}

/// Runs `command`, which must fail within [`ANSWER`]; its last stderr line.
fn fails_fast(command: Command) -> String {
    let started = Instant::now();
    let output = support::output_within(command, ANSWER);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!output.status.success(), "it succeeded: {stderr}");
    eprintln!("failed after {:.1} s", started.elapsed().as_secs_f64());
    stderr.lines().last().unwrap_or_default().to_string()
}

#[test]
fn a_wrong_password_an_unknown_ca_or_a_missing_acl_is_named_within_seconds() {
    let kafka = PrivateService::kafka_secure(&USERS);
    let mut pipeline = Pipeline::unstarted("kafka-refusals", 2);
    pipeline.set("MLOBS_METRICS_LISTEN", "127.0.0.1:0");
    let labels = pipeline.topic("labels");
    let join = pipeline.env_value("MLOBS_KAFKA_GROUPS_JOIN").unwrap();
    grant(&pipeline, &kafka, "mlobs-topics", "topics", |_| false);
    grant(&pipeline, &kafka, "mlobs-no-labels", "run", |acl| {
        acl["resource_name"] == labels.as_str()
    });
    grant(&pipeline, &kafka, "mlobs-no-group", "run", |acl| {
        acl["resource_type"] == "GROUP" && acl["resource_name"] == join.as_str()
    });
    connect_as(&mut pipeline, &kafka, "mlobs-topics");
    pipeline.succeed(&["topics", "create"]);

    connect_as(&mut pipeline, &kafka, "mlobs-no-labels");
    pipeline.set("MLOBS_LIBRDKAFKA_SASL_PASSWORD", "not-the-password");
    let line = fails_fast(pipeline.mlobs(&["topics", "check"]));
    assert!(line.contains("sasl.password"), "{line}");

    connect_as(&mut pipeline, &kafka, "mlobs-no-labels");
    let other_ca = pipeline.path("other-ca.crt");
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=a CA the broker never heard of", "-keyout"])
        .arg(pipeline.path("other-ca.key"))
        .arg("-out")
        .arg(&other_ca)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    pipeline.set(
        "MLOBS_LIBRDKAFKA_SSL_CA_LOCATION",
        other_ca.to_str().unwrap(),
    );
    let line = fails_fast(pipeline.mlobs(&["topics", "check"]));
    assert!(line.contains("ssl.ca.location"), "{line}");

    connect_as(&mut pipeline, &kafka, "mlobs-no-labels");
    let line = fails_fast(pipeline.mlobs(&["run"]));
    assert!(line.contains(&format!("on TOPIC {labels}")), "{line}");

    connect_as(&mut pipeline, &kafka, "mlobs-no-group");
    let line = fails_fast(pipeline.mlobs(&["run", "--stage", "join"]));
    assert!(line.contains(&format!("READ on GROUP {join}")), "{line}");
}
