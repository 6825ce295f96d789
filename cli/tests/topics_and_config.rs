//! `mlobs topics` against the real local broker, and the command line's
//! answers to a bad config or flag.

use std::process::{Command, Output};

use mlobs_testkit::{brokers, create_topics, unique_name};

/// `mlobs` with its topics and group renamed for this test only.
fn mlobs(prefix: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mlobs"));
    command
        .env("MLOBS_KAFKA_BROKERS", brokers())
        .env(
            "MLOBS_KAFKA_TOPICS_PREDICTIONS",
            format!("{prefix}.predictions"),
        )
        .env("MLOBS_KAFKA_TOPICS_LABELS", format!("{prefix}.labels"))
        .env("MLOBS_KAFKA_TOPICS_DLQ", format!("{prefix}.dlq"))
        .env("MLOBS_KAFKA_TOPICS_PARTIALS", format!("{prefix}.partials"))
        .env(
            "MLOBS_KAFKA_TOPICS_CHANGELOG",
            format!("{prefix}.changelog"),
        )
        .env(
            "MLOBS_KAFKA_TOPICS_WINDOW_METRICS",
            format!("{prefix}.window-metrics"),
        )
        .env("MLOBS_KAFKA_TOPICS_ALERTS", format!("{prefix}.alerts"))
        .env(
            "MLOBS_KAFKA_TOPICS_ALERT_STATE",
            format!("{prefix}.alert-state"),
        )
        .env("MLOBS_KAFKA_TOPICS_CLAIMS", format!("{prefix}.claims"))
        .env(
            "MLOBS_KAFKA_TOPICS_INCIDENTS",
            format!("{prefix}.incidents"),
        )
        .env(
            "MLOBS_KAFKA_TOPICS_AGENT_ACTIONS",
            format!("{prefix}.agent-actions"),
        )
        .env("MLOBS_KAFKA_PARTITIONS", "3");
    command
}

fn succeed(command: &mut Command) -> String {
    let output = command.output().expect("mlobs runs");
    assert!(
        output.status.success(),
        "mlobs failed: {}",
        describe(&output)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn describe(output: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn topics_create_is_idempotent_sets_retention_and_check_passes() {
    let prefix = unique_name("topics");
    let created = succeed(
        mlobs(&prefix)
            .env("MLOBS_KAFKA_RETENTION_MS", "123456789")
            .args(["topics", "create"]),
    );
    assert!(
        created.contains(&format!(
            "created  {prefix}.predictions (3 partitions, replication 1, cleanup.policy=delete, retention.ms=123456789)"
        )),
        "{created}"
    );
    assert!(
        created.contains(&format!(
            "created  {prefix}.changelog (3 partitions, replication 1, cleanup.policy=compact)"
        )),
        "{created}"
    );
    assert!(
        created.contains(&format!(
            "created  {prefix}.claims (1 partition, replication 1, cleanup.policy=compact)"
        )),
        "{created}"
    );
    // What the broker holds, not what we printed.
    assert_eq!(
        topic_config(&format!("{prefix}.labels"), "retention.ms").as_deref(),
        Some("123456789")
    );
    assert_eq!(
        topic_config(&format!("{prefix}.window-metrics"), "cleanup.policy").as_deref(),
        Some("compact")
    );
    // Partials grow with the model's features: the topic takes what the
    // stages may send (32 MiB).
    assert_eq!(
        topic_config(&format!("{prefix}.partials"), "max.message.bytes").as_deref(),
        Some("33554432")
    );
    assert!(
        created.contains(&format!(
            "created  {prefix}.alert-state (3 partitions, replication 1, cleanup.policy=compact)"
        )),
        "{created}"
    );
    assert!(
        created.contains(&format!(
            "created  {prefix}.agent-actions (3 partitions, replication 1, cleanup.policy=compact)"
        )),
        "{created}"
    );
    assert_eq!(
        created.lines().count(),
        11,
        "every configured topic: {created}"
    );
    let again = succeed(mlobs(&prefix).args(["topics", "create"]));
    assert!(
        again.contains(&format!("exists   {prefix}.labels (3 partitions;")),
        "{again}"
    );
    succeed(mlobs(&prefix).args(["topics", "check"]));
}

/// A topic setting as the broker describes it.
fn topic_config(topic: &str, key: &str) -> Option<String> {
    use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let described = runtime
        .block_on(admin.describe_configs([&ResourceSpecifier::Topic(topic)], &AdminOptions::new()))
        .unwrap();
    let resource = described.into_iter().next()?.ok()?;
    resource.get(key).and_then(|entry| entry.value.clone())
}

#[test]
fn check_names_both_partition_counts_when_topics_are_not_copartitioned() {
    let prefix = unique_name("mismatch");
    create_topics(&[&format!("{prefix}.predictions")], 3);
    create_topics(&[&format!("{prefix}.labels")], 2);
    let output = mlobs(&prefix).args(["topics", "check"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("has 2 partitions")
            && stderr.contains("has 3")
            && stderr.contains("co-partitioned"),
        "{}",
        describe(&output)
    );
}

#[test]
fn stage_2_refuses_an_alert_state_topic_with_another_partition_count() {
    let prefix = unique_name("alert-state");
    create_topics(&[&format!("{prefix}.alert-state")], 2);
    succeed(mlobs(&prefix).args(["topics", "create"]));
    let output = mlobs(&prefix)
        .env("MLOBS_METRICS_LISTEN", "127.0.0.1:0")
        .args(["run", "--stage", "evaluate"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{prefix}.alert-state"))
            && stderr.contains("has 2 partitions")
            && stderr.contains("has 3"),
        "{}",
        describe(&output)
    );
}

#[test]
fn a_bad_config_value_names_the_key_and_exits_2() {
    let output = mlobs("unused")
        .env("MLOBS_KAFKA_PARTITIONS", "zero")
        .args(["topics", "check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("kafka.partitions") && stderr.contains("integer"),
        "{stderr}"
    );
}

#[test]
fn a_wrong_flag_says_what_is_wrong() {
    let output = mlobs("unused")
        .args(["replay", "--from", "yesterday", "--group", "g"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--from") && stderr.contains("RFC 3339"),
        "{stderr}"
    );
}
