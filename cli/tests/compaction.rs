//! The join changelog on a broker that compacts it for real: the topic is
//! set to roll a segment every second and to be cleaned as soon as it can
//! be, as an operator might; once Kafka's log cleaner has removed
//! superseded checkpoint records, the only instance is killed with SIGKILL
//! and restarted, and restores from what compaction kept: every window
//! still equals the simulator's truth.

mod support;

use std::time::Duration;

use mlobs_testkit::wait_until;
use rdkafka::admin::{AdminClient, AdminOptions, AlterConfig, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use support::{crash, stop_gracefully, Pipeline, DEADLINE};

/// Makes Kafka's log cleaner compact `topic` as soon as it can: a new
/// segment every second (only closed segments are cleaned) and no dirty
/// share or lag to wait for. AlterConfigs replaces a topic's settings, so
/// the ones `mlobs topics create` set are given again.
fn compact_eagerly(brokers: &str, topic: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let config = AlterConfig::new(ResourceSpecifier::Topic(topic))
        .set("cleanup.policy", "compact")
        .set("max.message.bytes", "33554432")
        .set("segment.ms", "1000")
        .set("min.cleanable.dirty.ratio", "0.01")
        .set("min.compaction.lag.ms", "0");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let results = runtime
        .block_on(admin.alter_configs([&config], &AdminOptions::new()))
        .unwrap();
    for result in results {
        result.unwrap();
    }
}

/// (records held, offsets spanned) of partition 0 of `topic`: fewer
/// records than offsets once compaction removed some.
fn held_and_spanned(brokers: &str, topic: &str) -> (i64, i64) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "compaction-reader")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let (low, high) = consumer
        .fetch_watermarks(topic, 0, Duration::from_secs(10))
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, Offset::Offset(low))
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let mut held = 0;
    loop {
        match consumer.poll(Duration::from_secs(10)) {
            Some(Ok(_)) => held += 1,
            Some(Err(KafkaError::PartitionEOF(_))) | None => break,
            Some(Err(error)) => panic!("reading {topic}: {error}"),
        }
    }
    (held, high - low)
}

#[test]
fn a_kill_after_kafka_compacted_the_changelog_restores_exactly() {
    let pipeline = Pipeline::new("compaction", 1);
    let changelog = pipeline.topic("changelog");
    compact_eagerly(&pipeline.brokers(), &changelog);
    let run = pipeline.start("run", &[]);
    let simulator = pipeline.simulate_in_background(&pipeline.scenario_at_speed("drift.toml", 100));
    let (held, spanned) = wait_until(DEADLINE, "the log cleaner to compact the changelog", || {
        let (held, spanned) = held_and_spanned(&pipeline.brokers(), &changelog);
        (held < spanned).then_some((held, spanned))
    });
    eprintln!("the changelog holds {held} of the {spanned} checkpoint records written");
    crash(run);
    let run = pipeline.start("run", &[]);
    let truth = pipeline.background_truth(simulator);
    pipeline.wait_for(&truth, DEADLINE);
    stop_gracefully(run);
}
