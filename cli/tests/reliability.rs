//! The runtime keeps its promises with no operator help: crashes at random
//! points, an instance that never comes back, a graceful stop, two
//! processes under one identity, a broker that is slow or away, junk that
//! is large, far-future or endlessly varied, and rows ClickHouse refuses.
//! No test restarts anything gracefully or retries to make results converge.

mod support;

use std::time::{Duration, Instant};

use mlobs_schemas::{encode, GroundTruthEvent, Outcome, PredictionEvent};
use mlobs_testkit::services::PrivateService;
use mlobs_testkit::{wait_until, TestRng};
use rdkafka::message::Headers;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::Message;
use support::{crash, stop_gracefully, Pipeline, DEADLINE};

/// How long after the simulator's end every window must equal the truth.
const SETTLED: Duration = Duration::from_secs(120);

/// A producer as a model server would configure one.
fn producer(brokers: &str) -> BaseProducer {
    mlobs_schemas::kafka::producer_config(brokers, &Default::default())
        .create()
        .unwrap()
}

#[test]
fn crashes_at_random_points_lose_and_duplicate_nothing() {
    let pipeline = Pipeline::new("random-kills", 3);
    let mut a = pipeline.start("a", &[]);
    let b = pipeline.start("b", &[]);
    let seed = mlobs_schemas::time::now_ms() as u64;
    eprintln!("kill points from seed {seed}");
    let mut rng = TestRng::new(seed);
    let simulator = pipeline.simulate_in_background(&pipeline.scenario_at_speed("drift.toml", 300));
    for _ in 0..5 {
        // Once `a` is back in its groups, a random moment within the next
        // 3 s, whatever it is doing then (restoring, processing, committing).
        wait_until(DEADLINE, "a to own partitions again", || {
            let owned = pipeline.metric("a", "mlobs_assigned_partitions", "join");
            (owned > Some(0.0)).then_some(())
        });
        let at = Instant::now() + Duration::from_millis((rng.uniform() * 3_000.0) as u64);
        wait_until(DEADLINE, "the kill point", || {
            (Instant::now() >= at).then_some(())
        });
        crash(a);
        a = pipeline.start("a", &[]);
    }
    let truth = pipeline.background_truth(simulator);
    pipeline.wait_for(&truth, SETTLED);
    stop_gracefully(a);
    stop_gracefully(b);
}

#[test]
fn an_instance_that_never_comes_back_leaves_no_partition_unowned() {
    let pipeline = Pipeline::new("killed-for-good", 3);
    let a = pipeline.start("a", &[]);
    let b = pipeline.start("b", &[]);
    let simulator = pipeline.simulate_in_background(&pipeline.scenario_at_speed("drift.toml", 300));
    let owned = |name, stage| pipeline.metric(name, "mlobs_assigned_partitions", stage);
    wait_until(DEADLINE, "both instances to own partitions", || {
        (owned("a", "join") > Some(0.0) && owned("b", "join") > Some(0.0)).then_some(())
    });
    wait_until(DEADLINE, "traffic to flow", || {
        (pipeline.records_in("predictions") >= 4_000).then_some(())
    });
    crash(b);
    // Kafka evicts b once its session times out (45 s) and gives a its
    // partitions; nothing of ours has to notice.
    wait_until(DEADLINE, "a to own every partition", || {
        (owned("a", "join") == Some(3.0) && owned("a", "evaluate") == Some(3.0)).then_some(())
    });
    let truth = pipeline.background_truth(simulator);
    pipeline.wait_for(&truth, SETTLED);
    stop_gracefully(a);
}

#[test]
fn a_graceful_stop_hands_its_partitions_over_at_once() {
    let pipeline = Pipeline::new("handover", 3);
    let a = pipeline.start("a", &[]);
    let b = pipeline.start("b", &[]);
    let owned = |name, stage| pipeline.metric(name, "mlobs_assigned_partitions", stage);
    wait_until(DEADLINE, "a and b to share the partitions", || {
        (owned("a", "join") > Some(0.0) && owned("b", "join") > Some(0.0)).then_some(())
    });
    stop_gracefully(a);
    let stopped = Instant::now();
    // Well under the 45 s session timeout a static member would otherwise
    // leave its partitions waiting for.
    wait_until(Duration::from_secs(20), "b to own every partition", || {
        (owned("b", "join") == Some(3.0) && owned("b", "evaluate") == Some(3.0)).then_some(())
    });
    eprintln!("handed over in {:.1} s", stopped.elapsed().as_secs_f64());
    let truth = pipeline.simulate("baseline.toml");
    pipeline.wait_for(&truth, DEADLINE);
    stop_gracefully(b);
}

#[test]
fn a_second_live_process_with_the_same_identity_is_fenced_but_a_restart_is_not() {
    let pipeline = Pipeline::new("identity", 2);
    let mut first = pipeline.start("first", &[]);
    let owned = |name, stage| pipeline.metric(name, "mlobs_assigned_partitions", stage);
    wait_until(DEADLINE, "the first process to own partitions", || {
        (owned("first", "join") == Some(2.0) && owned("first", "evaluate") == Some(2.0))
            .then_some(())
    });
    // The same kafka.instance_id: Kafka hands the static member's identity
    // to the newcomer and fences the first process, which must stop and
    // say why (KIP-345).
    let second = pipeline.start_as("second", "first", &[]);
    let exit = first.exit_within(DEADLINE, "the fenced process to stop");
    assert_eq!(exit.code(), Some(1));
    let log = std::fs::read_to_string(pipeline.log("first")).unwrap();
    assert!(
        log.contains("kafka.instance_id") && log.contains("fenced"),
        "the error names the setting: {log}"
    );
    wait_until(
        DEADLINE,
        "the second process to own every partition",
        || {
            (owned("second", "join") == Some(2.0) && owned("second", "evaluate") == Some(2.0))
                .then_some(())
        },
    );
    // A crash and an immediate restart, as a supervisor does: not refused.
    crash(second);
    let restarted = pipeline.start_as("restarted", "first", &[]);
    let truth = pipeline.simulate("baseline.toml");
    pipeline.wait_for(&truth, DEADLINE);
    stop_gracefully(restarted);
}

#[test]
fn large_junk_in_a_live_stream_goes_to_the_dead_letters_and_changes_nothing() {
    let pipeline = Pipeline::new("large-junk", 2);
    let run = pipeline.start("run", &[]);
    let simulator = pipeline.simulate_in_background(&pipeline.scenario_at_speed("drift.toml", 300));
    wait_until(DEADLINE, "traffic to flow", || {
        (pipeline.records_in("predictions") >= 500).then_some(())
    });
    let producer = producer(&pipeline.brokers());
    let mut rng = TestRng::new(7);
    for i in 0..10_000usize {
        // About one in twelve is 10-200 KB of junk; the rest are small.
        let size = if i % 12 == 0 {
            10_000 + (rng.uniform() * 190_000.0) as usize
        } else {
            1 + (rng.uniform() * 300.0) as usize
        };
        let junk: Vec<u8> = (0..size).map(|_| (rng.uniform() * 256.0) as u8).collect();
        let topic = pipeline.topic(if i % 2 == 0 { "predictions" } else { "labels" });
        let key = format!("junk-{i}");
        while let Err((e, _)) = producer.send(BaseRecord::to(&topic).key(&key).payload(&junk)) {
            assert!(e.to_string().contains("Queue full"), "{e}");
            producer.poll(Duration::from_millis(50));
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(120)).unwrap();
    let truth = pipeline.background_truth(simulator);
    pipeline.wait_for(&truth, DEADLINE);
    let letters = pipeline.consume("dlq", 10_000);
    let mut keys: Vec<&[u8]> = letters.iter().filter_map(|m| m.key()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 10_000, "every junk record, each once");
    stop_gracefully(run);
}

#[test]
fn an_event_from_the_far_future_changes_no_result() {
    let pipeline = Pipeline::new("future", 2);
    let run = pipeline.start("run", &[]);
    let simulator = pipeline.simulate_in_background(&pipeline.scenario_at_speed("drift.toml", 300));
    wait_until(DEADLINE, "traffic to flow", || {
        (pipeline.records_in("predictions") >= 2_000).then_some(())
    });
    let label = GroundTruthEvent {
        prediction_id: "from-2199".into(),
        event_time: 7_226_582_400_000 - 1, // 2198-12-31
        label: Outcome::Class("stay".into()),
        source: "test".into(),
    };
    let producer = producer(&pipeline.brokers());
    let topic = pipeline.topic("labels");
    let payload = encode(&label).unwrap();
    producer
        .send(BaseRecord::to(&topic).key("from-2199").payload(&payload))
        .unwrap();
    producer.flush(Duration::from_secs(30)).unwrap();
    let truth = pipeline.background_truth(simulator);
    pipeline.wait_for(&truth, DEADLINE);
    let letters = pipeline.consume("dlq", 1);
    assert_eq!(letters.len(), 1);
    assert_eq!(
        header(&letters[0], "mlobs.reason").as_deref(),
        Some("future_event_time")
    );
    stop_gracefully(run);
}

/// A header of a record, as text.
fn header(message: &rdkafka::message::OwnedMessage, name: &str) -> Option<String> {
    message
        .headers()?
        .iter()
        .find(|h| h.key == name)
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).to_string())
}

#[test]
fn rows_clickhouse_refuses_go_to_the_dead_letters_and_the_rest_is_written() {
    let pipeline = Pipeline::new("refused-rows", 1);
    pipeline.succeed(&["clickhouse", "migrate"]);
    // As if someone had tightened a column by hand: rows without a request
    // id no longer fit.
    pipeline.history("ALTER TABLE {db}.inference_log MODIFY COLUMN request_id String");
    let run = pipeline.start("run", &[]);
    let producer = producer(&pipeline.brokers());
    let topic = pipeline.topic("predictions");
    let start = mlobs_schemas::time::now_ms() - 600_000;
    for i in 0..203 {
        let request_id = (i % 70 != 0).then_some("request");
        let id = format!("p{i}");
        let payload = encode(&prediction(&id, start + i * 1_000, request_id)).unwrap();
        producer
            .send(BaseRecord::to(&topic).key(&id).payload(&payload))
            .unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    let letters = pipeline.consume("dlq", 3);
    let mut refused: Vec<&[u8]> = letters.iter().filter_map(|m| m.payload()).collect();
    refused.sort();
    assert_eq!(refused.len(), 3, "p0, p70 and p140");
    for letter in &letters {
        assert_eq!(
            header(letter, "mlobs.reason").as_deref(),
            Some("sink_rejected")
        );
        assert_eq!(
            header(letter, "mlobs.sink.table").as_deref(),
            Some("inference_log")
        );
        assert!(header(letter, "mlobs.error").is_some_and(|e| e.contains("request_id")));
    }
    wait_until(DEADLINE, "the other rows in the history", || {
        let rows = pipeline.history_number("SELECT count() FROM {db}.inference_log");
        (rows == 200.0).then_some(())
    });
    wait_until(DEADLINE, "the windows to count every prediction", || {
        let windows = pipeline.windows();
        let counted: u64 = windows
            .as_array()?
            .iter()
            .map(|w| w["predictions"].as_u64().unwrap_or(0))
            .sum();
        (counted == 203).then_some(())
    });
    stop_gracefully(run);
}

#[test]
fn sigterm_ends_the_process_while_the_broker_is_away_and_nothing_is_lost() {
    // A broker of this test's own: stopping the shared one would hit every
    // test running beside this one.
    let kafka = PrivateService::kafka();
    let pipeline = Pipeline::on_brokers("kafka-outage", 2, &kafka.address());
    let truth = pipeline.simulate("drift.toml");
    let mut run = pipeline.start("run", &[]);
    wait_until(DEADLINE, "the first checkpoints", || {
        let written = pipeline.metric("run", "mlobs_checkpoint_bytes_total", "");
        (written > Some(0.0)).then_some(())
    });
    kafka.down();
    let asked = Instant::now();
    run.terminate();
    run.exit_within(Duration::from_secs(30), "mlobs run to end after SIGTERM");
    eprintln!("ended {:.1} s after SIGTERM", asked.elapsed().as_secs_f64());
    kafka.up();
    let again = pipeline.start("run", &[]);
    pipeline.wait_for(&truth, DEADLINE);
    stop_gracefully(again);
}

#[test]
fn a_restore_that_cannot_read_the_changelog_is_retried_and_readyz_says_so() {
    let mut pipeline = Pipeline::new("restore-retry", 1);
    // A changelog topic that does not exist (yet): every restore fails.
    let changelog = pipeline.topic("changelog-made-later");
    pipeline.set("MLOBS_KAFKA_TOPICS_CHANGELOG", &changelog);
    let run = pipeline.start("run", &[]);
    let address = pipeline.metrics_address("run");
    wait_until(DEADLINE, "/readyz to name the restore it waits for", || {
        let (status, body) = support::services::get(&format!("http://{address}/readyz"))?;
        (status == 503 && body.contains("partition 0 is waiting to restore its checkpoint"))
            .then_some(())
    });
    let _changelog = mlobs_testkit::create_topics(&[&changelog], 1);
    let truth = pipeline.simulate("baseline.toml");
    pipeline.wait_for(&truth, DEADLINE);
    stop_gracefully(run);
}

#[test]
fn ten_thousand_junk_names_keep_memory_and_metrics_bounded() {
    let pipeline = Pipeline::new("junk-names", 1);
    let run = pipeline.start("run", &[]);
    let producer = producer(&pipeline.brokers());
    let topic = pipeline.topic("predictions");
    let labels = pipeline.topic("labels");
    let start = mlobs_schemas::time::now_ms() - 3_600_000;
    let send = |i: i64, event: &PredictionEvent| {
        let payload = encode(event).unwrap();
        producer
            .send(
                BaseRecord::to(&topic)
                    .key(&event.prediction_id)
                    .payload(&payload),
            )
            .unwrap();
        let label = GroundTruthEvent {
            prediction_id: event.prediction_id.clone(),
            event_time: event.event_time,
            label: Outcome::Class(format!("label-{i}")),
            source: "test".into(),
        };
        let payload = encode(&label).unwrap();
        producer
            .send(
                BaseRecord::to(&labels)
                    .key(&event.prediction_id)
                    .payload(&payload),
            )
            .unwrap();
        producer.poll(Duration::ZERO);
    };
    // Warm up with ordinary traffic, then measure.
    for i in 0..1_000 {
        send(i, &prediction(&format!("warm-{i}"), start + i, None));
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    wait_until(DEADLINE, "the warm-up to be processed", || {
        let seen = pipeline.metric("run", "model_predictions_total", "")?;
        (seen == 1_000.0).then_some(())
    });
    let before = run.rss_kb();
    for i in 0..10_000 {
        let mut event = prediction(&format!("junk-{i}"), start + 1_000 + i, None);
        event.features.insert(format!("feature-{i}"), None);
        event.prediction = Outcome::Class(format!("class-{i}"));
        event.error = Some(mlobs_schemas::PredictionError {
            error_type: format!("error-{i}"),
            message: String::new(),
        });
        send(i, &event);
    }
    // Two series whose names differ only in where a NUL is.
    for (i, (model, version)) in [("a\0b", "c"), ("a", "b\0c")].into_iter().enumerate() {
        let mut event = prediction(&format!("nul-{i}"), start + 20_000, None);
        (event.model, event.version) = (model.into(), version.into());
        send(i as i64, &event);
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    wait_until(DEADLINE, "the junk to be processed", || {
        let seen = pipeline.metric("run", "model_predictions_total", "")?;
        (seen == 11_002.0).then_some(())
    });
    let grown_mb = (run.rss_kb() - before) as f64 / 1024.0;
    let metrics = support::services::get(&format!(
        "http://{}/metrics",
        pipeline.metrics_address("run")
    ))
    .unwrap()
    .1;
    eprintln!(
        "RSS grew {grown_mb:.1} MB; /metrics is {} KB",
        metrics.len() / 1024
    );
    assert!(grown_mb < 50.0, "RSS grew {grown_mb:.1} MB");
    assert!(
        metrics.len() < 200 * 1024,
        "/metrics is {} bytes",
        metrics.len()
    );
    // Caps are reported at the partitions' checkpoints, which may come
    // after the predictions were counted.
    wait_until(
        DEADLINE,
        "more than 10,000 values counted as capped",
        || {
            let capped = pipeline.metric("run", "mlobs_values_capped_total", "")?;
            (capped > 10_000.0).then_some(())
        },
    );
    wait_until(DEADLINE, "both NUL series as windows of their own", || {
        let windows = pipeline.windows();
        let series: std::collections::BTreeSet<(String, String)> = windows
            .as_array()?
            .iter()
            .filter(|w| w["model"] != "m")
            .map(|w| {
                (
                    w["model"].as_str().unwrap().into(),
                    w["version"].as_str().unwrap().into(),
                )
            })
            .collect();
        (series.len() == 2).then_some(())
    });
    stop_gracefully(run);
}

/// A valid prediction of model `m`, with a request id when given.
fn prediction(id: &str, event_time: i64, request_id: Option<&str>) -> PredictionEvent {
    PredictionEvent {
        prediction_id: id.into(),
        model: "m".into(),
        version: "1".into(),
        environment: "test".into(),
        event_time,
        features: Default::default(),
        features_hash: None,
        prediction: Outcome::Class("stay".into()),
        confidence: Some(0.9),
        class_probabilities: None,
        latency_ms: 3.0,
        resources: None,
        error: None,
        request_id: request_id.map(String::from),
        trace_id: None,
    }
}
