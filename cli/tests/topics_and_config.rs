//! `mlobs topics` against the real local broker, and the command line's
//! answers to a bad config or flag.

use std::process::{Command, Output};

use mlobs_testkit::topics::describe_topic;
use mlobs_testkit::{brokers, create_topics, unique_name, OwnTopics};

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
fn topics_create_sets_what_the_broker_then_holds_and_is_idempotent() {
    let prefix = unique_name("topics");
    let _own = OwnTopics::on(&brokers(), &[&prefix]);
    let created = succeed(
        mlobs(&prefix)
            .env("MLOBS_KAFKA_RETENTION_MS", "123456789")
            .env("MLOBS_KAFKA_MIN_INSYNC_REPLICAS", "1")
            .args(["topics", "create"]),
    );
    assert!(
        created.contains(&format!(
            "created  {prefix}.predictions (3 partitions, replication 1, cleanup.policy=delete, retention.ms=123456789, min.insync.replicas=1)"
        )),
        "{created}"
    );
    assert_eq!(
        created.lines().count(),
        10,
        "every configured topic: {created}"
    );
    // What the broker holds (DescribeConfigs and metadata), not what we printed.
    let events = ["predictions", "labels", "dlq", "partials"];
    let compacted = [
        "changelog",
        "window-metrics",
        "alerts",
        "alert-state",
        "incidents",
        "agent-actions",
    ];
    for topic in events.iter().chain(&compacted) {
        let (settings, replicas) = describe_topic(&brokers(), &format!("{prefix}.{topic}"));
        let setting = |key: &str| settings.get(key).map(String::as_str);
        assert_eq!(
            replicas,
            vec![1, 1, 1],
            "{topic}: 3 partitions, 1 replica each"
        );
        assert_eq!(setting("min.insync.replicas"), Some("1"), "{topic}");
        if events.contains(topic) {
            assert_eq!(setting("cleanup.policy"), Some("delete"), "{topic}");
            assert_eq!(setting("retention.ms"), Some("123456789"), "{topic}");
        } else {
            assert_eq!(setting("cleanup.policy"), Some("compact"), "{topic}");
        }
        // What the stages write takes what they may send (32 MiB: a
        // partial grows with the model's features, a dead letter carries
        // the record it refused); the inputs keep the broker's limit.
        let largest = if ["predictions", "labels"].contains(topic) {
            "1048588"
        } else {
            "33554432"
        };
        assert_eq!(setting("max.message.bytes"), Some(largest), "{topic}");
    }
    let again = succeed(mlobs(&prefix).args(["topics", "create"]));
    assert!(
        again.contains(&format!("exists   {prefix}.labels (3 partitions;")),
        "{again}"
    );
    succeed(mlobs(&prefix).args(["topics", "check"]));
}

#[test]
fn check_names_both_partition_counts_when_topics_are_not_copartitioned() {
    let prefix = unique_name("mismatch");
    let _predictions = create_topics(&[&format!("{prefix}.predictions")], 3);
    let _labels = create_topics(&[&format!("{prefix}.labels")], 2);
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
    let _own = OwnTopics::on(&brokers(), &[&prefix]);
    let _alert_state = create_topics(&[&format!("{prefix}.alert-state")], 2);
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
