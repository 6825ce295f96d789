//! The runtime on the real broker: two instances, crashes, restarts, bad
//! records and replays all give window counts equal to what the simulator
//! sent.

mod support;

use std::time::Duration;

use mlobs_schemas::{encode, GroundTruthEvent, Outcome, WriterSchemas};
use mlobs_testkit::{brokers, consume_all, wait_until};
use rdkafka::message::Headers;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Message};
use support::verdicts::assert_drift_scenario_verdicts;
use support::{counts, output_within, stop_gracefully, Pipeline, DEADLINE};

#[test]
fn two_instances_in_one_group_count_exactly_what_was_sent() {
    let pipeline = Pipeline::new("two-instances", 3);
    let a = pipeline.start("a", &[]);
    let b = pipeline.start("b", &[]);
    let truth = pipeline.simulate("baseline.toml");
    let windows = pipeline.wait_for(&truth, DEADLINE);
    assert!(
        windows
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["complete"] == true),
        "every window complete"
    );
    stop_gracefully(a);
    stop_gracefully(b);
}

#[test]
fn a_model_with_hundreds_of_features_is_counted_exactly() {
    // 200 numeric features and about 1,500 predictions a window on 2
    // partitions: a window's partial holds up to 1.8 MB of sketches, more
    // than librdkafka's default record limit, which once stalled stage 1
    // without a word.
    let pipeline = Pipeline::new("wide", 2);
    let mut scenario = String::from(
        "seed = 3\nstart = \"2026-01-05T09:00:00Z\"\nduration = \"20m\"\nspeedup = 600\nrate = 5\n\n\
         [[models]]\nname = \"wide\"\nclasses = [\"no\", \"yes\"]\ntraining_rows = 2000\n\
         latency_ms = { median = 10, sigma = 0.3 }\n",
    );
    for i in 0..200 {
        scenario.push_str(&format!(
            "\n[[models.features]]\nname = \"f{i:03}\"\ndistribution = \"normal\"\nmean = {i}\nstd = 1\n"
        ));
    }
    scenario.push_str(
        "\n[models.truth]\nintercept = -100\nweights = { f100 = 1 }\n\n\
         [[models.versions]]\nname = \"1\"\n\n\
         [models.labels]\ncoverage = 1.0\ndelay = { distribution = \"exponential\", mean = \"1m\", max = \"5m\" }\n",
    );
    let path = pipeline.path("wide.toml");
    std::fs::write(&path, scenario).unwrap();
    // The baselines (which give the features their sketches) are written
    // before the events; the pipeline reads them when it starts.
    let truth = pipeline.simulate(path.to_str().unwrap());
    let run = pipeline.start("run", &[]);
    let windows = pipeline.wait_for(&truth, DEADLINE);
    let features = windows[0]["drift"].as_array().map_or(0, Vec::len);
    assert_eq!(features, 200, "{}", windows[0]);
    stop_gracefully(run);
}

#[test]
fn a_backlog_gives_the_truth_and_names_the_drifted_feature() {
    let mut pipeline = Pipeline::new("backlog", 3);
    // About 1,200 predictions a window: the normalised Wasserstein distance
    // of an unchanged feature then stays well below its 0.1 threshold.
    pipeline.set("MLOBS_WINDOWS_SIZE_MS", "600000");
    // Everything is in Kafka before the pipeline starts, so it may read one
    // topic long before the other: idleness must not close windows early.
    let truth = pipeline.simulate("drift.toml");
    let run = pipeline.start("run", &[]);
    let windows = pipeline.wait_for(&truth, DEADLINE);
    assert_drift_scenario_verdicts(&windows);
    stop_gracefully(run);
}

#[test]
fn restarting_the_only_instance_resumes_from_its_checkpoint() {
    let pipeline = Pipeline::new("restart", 2);
    let first = pipeline.start("only", &[]);
    let simulator = pipeline.simulate_in_background("drift.toml");
    wait_until(
        DEADLINE,
        "half of the traffic, and checkpoints of it",
        || {
            let checkpointed = pipeline.metric("only", "mlobs_checkpoint_bytes_total", "");
            let sent = pipeline.records_in("predictions");
            (sent >= 9_000 && checkpointed > Some(0.0)).then_some(())
        },
    );
    stop_gracefully(first);
    let second = pipeline.start("only", &[]);
    let truth = pipeline.background_truth(simulator);
    pipeline.wait_for(&truth, DEADLINE);
    let restores = pipeline.metric("only", "mlobs_checkpoint_restores_total", "join");
    assert!(
        restores.is_some_and(|n| n >= 1.0),
        "the second run started from the checkpoints: {restores:?}"
    );
    stop_gracefully(second);
}

/// 1,000 bad records, interleaved with the simulator's traffic: each kind
/// with the dead-letter reason it must get.
fn send_bad_records(pipeline: &Pipeline) -> Vec<&'static str> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    let good_label = encode(&GroundTruthEvent {
        prediction_id: "x".into(),
        event_time: 1_767_603_600_000,
        label: Outcome::Class("stay".into()),
        source: "test".into(),
    })
    .unwrap();
    let mut reasons = Vec::new();
    for i in 0..1_000usize {
        let (topic, payload, reason): (&str, Vec<u8>, &str) = match i % 5 {
            0 => (
                "predictions",
                format!("{{\"json\": {i}}}").into_bytes(),
                "not_avro",
            ),
            1 => (
                "labels",
                good_label[..good_label.len() - 3].to_vec(),
                "truncated",
            ),
            2 => ("predictions", good_label.clone(), "wrong_record_type"),
            3 => (
                "labels",
                vec![0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                "unknown_schema",
            ),
            _ => {
                let mut bad =
                    GroundTruthEvent::clone(&WriterSchemas::builtin().decode(&good_label).unwrap());
                bad.prediction_id = String::new();
                ("labels", encode(&bad).unwrap(), "missing_field")
            }
        };
        let key = format!("bad-{i}");
        let topic = pipeline.topic(topic);
        producer
            .send(BaseRecord::to(&topic).key(&key).payload(&payload))
            .unwrap();
        reasons.push(reason);
        if i % 50 == 0 {
            producer.poll(Duration::from_millis(20));
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    reasons
}

#[test]
fn malformed_records_go_to_the_dead_letter_topic_and_change_nothing_else() {
    let pipeline = Pipeline::new("dead-letters", 2);
    let run = pipeline.start("run", &[]);
    let simulator = pipeline.simulate_in_background("drift.toml");
    wait_until(DEADLINE, "traffic to flow", || {
        (pipeline.records_in("predictions") >= 500).then_some(())
    });
    let mut expected = send_bad_records(&pipeline);
    let truth = pipeline.background_truth(simulator);
    pipeline.wait_for(&truth, DEADLINE);

    let letters = consume_all(&pipeline.topic("dlq"), 1_000, DEADLINE);
    let mut reasons: Vec<String> = letters
        .iter()
        .map(|m| {
            let headers = m.headers().expect("dead letters carry headers");
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|h| h.key == name)
                    .and_then(|h| h.value)
                    .map(|v| String::from_utf8_lossy(v).to_string())
            };
            assert!(header("mlobs.source.topic")
                .unwrap()
                .starts_with(&pipeline.prefix));
            assert!(header("mlobs.source.offset")
                .unwrap()
                .parse::<i64>()
                .is_ok());
            assert!(header("mlobs.error").is_some());
            assert!(
                m.key().unwrap().starts_with(b"bad-"),
                "only the bad records"
            );
            header("mlobs.reason").unwrap()
        })
        .collect();
    reasons.sort();
    expected.sort();
    assert_eq!(reasons, expected, "every bad record once, with its reason");
    stop_gracefully(run);
}

#[test]
fn replaying_a_range_into_new_groups_gives_identical_windows() {
    let pipeline = Pipeline::new("replay", 3);
    let run = pipeline.start("run", &[]);
    let truth = pipeline.simulate("baseline.toml");
    let live = pipeline.wait_for(&truth, DEADLINE);
    stop_gracefully(run);

    // Each replay publishes to its own window-metrics topic.
    let replay = |group: &str| -> serde_json::Value {
        let results = (
            "MLOBS_KAFKA_TOPICS_WINDOW_METRICS",
            pipeline.topic(&format!("replayed-{group}")),
        );
        let mut create = pipeline.mlobs(&["topics", "create"]);
        create.env(results.0, &results.1);
        let created = output_within(create, DEADLINE);
        assert!(created.status.success());
        let group = format!("{}-{group}", pipeline.prefix);
        let mut replay = pipeline.mlobs(&[
            "replay", "--from", "earliest", "--group", &group, "--format", "json",
        ]);
        replay.env(results.0, &results.1);
        let output = output_within(replay, DEADLINE);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let (first, second) = (replay("first"), replay("second"));
    assert_eq!(first, second, "the same range, the same results");
    assert_eq!(counts(&first), counts(&truth));
    assert_eq!(counts(&first), counts(&live));
}
