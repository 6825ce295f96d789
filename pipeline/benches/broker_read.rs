//! How fast the local broker alone serves the input topics: a plain
//! consumer in a fresh group reads predictions and labels from the start to
//! their current end and does nothing else. `bench/pipeline_e2e.sh` runs it
//! beside the pipeline, so the pipeline's figure can be read against what
//! the broker can deliver. Topics come from the usual config (`MLOBS_*`).
//!
//! With `--written` it reads nothing and prints how many records the
//! pipeline wrote to its own topics: the broker's other load during a run.

use std::time::{Duration, Instant};

use mlobs_pipeline::Config;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// Records in all partitions of `topic`, from its watermarks.
fn records_in(consumer: &BaseConsumer, topic: &str) -> i64 {
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("topic metadata");
    metadata.topics()[0]
        .partitions()
        .iter()
        .map(|partition| {
            let (low, high) = consumer
                .fetch_watermarks(topic, partition.id(), Duration::from_secs(10))
                .expect("watermarks");
            high - low
        })
        .sum()
}

fn main() {
    let config = Config::load(None).expect("the mlobs config");
    let kafka = &config.kafka;
    let group = format!("broker-read-{}", std::process::id());
    let consumer: BaseConsumer = mlobs_pipeline::kafka::consumer_config(kafka, &group)
        .create()
        .expect("a consumer");
    if std::env::args().any(|arg| arg == "--written") {
        let own = &kafka.topics;
        let counts = [
            ("partials", &own.partials),
            ("changelog", &own.changelog),
            ("window_metrics", &own.window_metrics),
            ("alerts", &own.alerts),
            ("alert_state", &own.alert_state),
            ("dlq", &own.dlq),
        ]
        .map(|(name, topic)| format!("{name} {}", records_in(&consumer, topic)));
        println!("records the pipeline wrote: {}", counts.join(", "));
        return;
    }
    let topics = [
        kafka.topics.predictions.as_str(),
        kafka.topics.labels.as_str(),
    ];
    let total: i64 = topics.iter().map(|t| records_in(&consumer, t)).sum();
    consumer.subscribe(&topics).expect("subscribing");
    let started = Instant::now();
    let mut read = 0;
    let mut first = None;
    while read < total {
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            message.expect("a record");
            first.get_or_insert_with(Instant::now);
            read += 1;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "read only {read} of {total} records in 2 minutes"
        );
    }
    let joined = first.map_or(0.0, |f| (f - started).as_secs_f64());
    let seconds = started.elapsed().as_secs_f64() - joined;
    println!(
        "broker alone: {read} records in {seconds:.1} s = {:.0} records/s (plain consumer, both input topics; the group join took {joined:.1} s more)",
        read as f64 / seconds
    );
}
