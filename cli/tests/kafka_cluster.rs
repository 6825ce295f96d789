//! mlobs on a three-broker Kafka cluster that loses brokers. Topics have 3
//! replicas and `min.insync.replicas` 2, and every mlobs producer waits for
//! all in-sync replicas (idempotent, `acks=all`). Mid-stream, a broker dies
//! (SIGKILL) and comes back, then the active controller does, or a broker
//! dies for good. Whatever happens, every window equals the simulator's
//! truth, ClickHouse holds each prediction once, the dead-letter topic
//! holds exactly the malformed records sent, and no mlobs process exits.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use mlobs_testkit::cluster::KafkaCluster;
use mlobs_testkit::topics::describe_topic;
use mlobs_testkit::wait_until;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::Message;
use support::{counts, stop_gracefully, Pipeline, Running, DEADLINE};

/// Malformed records sent, half before the first failure and half after.
const JUNK: usize = 300;

/// A pipeline whose topics the cluster replicates three times.
fn replicated(name: &str, cluster: &KafkaCluster) -> Pipeline {
    let mut pipeline = Pipeline::unstarted(name, 3);
    pipeline.set("MLOBS_KAFKA_BROKERS", &cluster.bootstrap());
    pipeline.set("MLOBS_KAFKA_REPLICATION_FACTOR", "3");
    pipeline.set("MLOBS_KAFKA_MIN_INSYNC_REPLICAS", "2");
    pipeline.succeed(&["topics", "create"]);
    for topic in ["predictions", "partials", "changelog"] {
        let (settings, replicas) = describe_topic(&cluster.bootstrap(), &pipeline.topic(topic));
        assert_eq!(replicas, vec![3, 3, 3], "{topic}");
        assert_eq!(
            settings.get("min.insync.replicas").map(String::as_str),
            Some("2"),
            "{topic}"
        );
    }
    pipeline
}

/// The node that leads the most partitions of the pipeline's predictions.
fn busiest_leader(cluster: &KafkaCluster, pipeline: &Pipeline) -> i32 {
    let mut led: BTreeMap<i32, usize> = BTreeMap::new();
    for leader in cluster
        .leaders(&pipeline.topic("predictions"))
        .into_values()
    {
        *led.entry(leader).or_default() += 1;
    }
    led.into_iter()
        .max_by_key(|(_, count)| *count)
        .map(|(node, _)| node)
        .expect("the predictions have leaders")
}

/// Sends `count` malformed records (numbered from `first`) to the inputs,
/// as a careless model server would, with mlobs' producer settings.
fn send_junk(pipeline: &Pipeline, first: usize, count: usize) {
    let producer: BaseProducer =
        mlobs_schemas::kafka::producer_config(&pipeline.brokers(), &Default::default())
            .create()
            .unwrap();
    for i in first..first + count {
        let topic = pipeline.topic(if i % 2 == 0 { "predictions" } else { "labels" });
        let key = format!("junk-{i}");
        let payload = format!("not an event {i}");
        producer
            .send(BaseRecord::to(&topic).key(&key).payload(&payload))
            .unwrap();
    }
    producer.flush(Duration::from_secs(120)).unwrap();
}

/// Waits until the simulator has written `more` predictions beyond now.
fn wait_for_traffic(pipeline: &Pipeline, more: i64) {
    let target = pipeline.records_in("predictions") + more;
    wait_until(DEADLINE, "more predictions to arrive", || {
        (pipeline.records_in("predictions") >= target).then_some(())
    });
}

/// Runs drift.toml through two instances while `disturb` kills brokers,
/// then checks the windows, the history and the dead letters.
fn survives(name: &str, disturb: impl FnOnce(&KafkaCluster, &Pipeline)) {
    let cluster = KafkaCluster::start();
    let pipeline = replicated(name, &cluster);
    let mut instances: Vec<Running> = vec![pipeline.start("a", &[]), pipeline.start("b", &[])];
    // 2h30m of event time in 90 s: long enough for every failure below.
    let simulator = pipeline.simulate_in_background(&pipeline.scenario_at_speed("drift.toml", 100));
    wait_for_traffic(&pipeline, 2_000);
    send_junk(&pipeline, 0, JUNK / 2);
    disturb(&cluster, &pipeline);
    send_junk(&pipeline, JUNK / 2, JUNK / 2);
    let truth = pipeline.background_truth(simulator);
    let started = std::time::Instant::now();
    pipeline.wait_for(&truth, Duration::from_secs(300));
    eprintln!(
        "windows equal to the truth {:.1} s after the simulator ended",
        started.elapsed().as_secs_f64()
    );

    let predictions: u64 = counts(&truth).iter().map(|row| row.4).sum();
    wait_until(DEADLINE, "ClickHouse to hold every prediction once", || {
        let rows = pipeline.history_number("SELECT count() FROM {db}.inference_log FINAL");
        (rows == predictions as f64).then_some(())
    });
    eprintln!(
        "history complete after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let letters = pipeline.consume("dlq", JUNK);
    let mut keys: Vec<&[u8]> = letters.iter().filter_map(|m| m.key()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(
        (letters.len(), keys.len()),
        (JUNK, JUNK),
        "each malformed record in the dead letters, once"
    );
    for instance in &mut instances {
        assert!(instance.is_running(), "no mlobs process exited");
    }
    for instance in instances {
        stop_gracefully(instance);
    }
}

#[test]
fn a_leader_and_the_active_controller_killed_and_restarted_change_nothing() {
    survives("cluster-restarts", |cluster, pipeline| {
        let leader = busiest_leader(cluster, pipeline);
        eprintln!("killing node {leader}, the busiest leader of predictions");
        cluster.kill(leader);
        wait_for_traffic(pipeline, 1_000);
        cluster.restart(leader);
        cluster.wait_fully_replicated(DEADLINE);
        let controller = cluster.active_controller();
        eprintln!("killing node {controller}, the active controller");
        cluster.kill(controller);
        wait_for_traffic(pipeline, 1_000);
        cluster.restart(controller);
    });
}

#[test]
fn a_broker_lost_for_good_changes_nothing() {
    survives("cluster-loss", |cluster, pipeline| {
        let leader = busiest_leader(cluster, pipeline);
        eprintln!("killing node {leader} for good");
        cluster.kill(leader);
        wait_for_traffic(pipeline, 1_000);
    });
}
