//! `make bench` (bench/pipeline_e2e.sh): the stage-1 runtime in process on
//! the very records of the input topics the end-to-end runs read, so that
//! the two rates compare. Every record of predictions and labels is read
//! into memory first (not timed); then each partition's records, merged by
//! record timestamp as a consumer interleaves the two topics, go through a
//! `PartitionWorker` on a thread of their own, as `mlobs run`'s tasks do:
//! decode, validate, join, windows, sketches, partial encoding, with
//! nothing sent anywhere. Topics and baselines come from the usual config
//! (`MLOBS_*`). Prints the median of three runs.
//!
//! With `--written` it processes nothing and prints how many records the
//! pipeline wrote to its own topics: the broker's other load during a run.
//! With `--until-committed` it waits until the join group
//! (`kafka.groups.join`) has committed every input record, and prints when
//! (seconds since 1970): the moment the pipeline was done with its input,
//! before the idle flush and the last windows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mlobs_pipeline::baselines::Baselines;
use mlobs_pipeline::stage1::worker::{Effects, Input, PartitionWorker, SourceRecord};
use mlobs_pipeline::Config;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};

/// The allocator of the `mlobs` binary, so that the rates compare.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One partition's records of both inputs, in the order a consumer would
/// hand them over: (timestamp, input, payload).
type PartitionRecords = Vec<(i64, Input, Vec<u8>)>;

fn consumer(config: &Config) -> BaseConsumer {
    let group = format!("runtime-on-topics-{}", std::process::id());
    mlobs_pipeline::kafka::consumer_config(&config.kafka, &group)
        .create()
        .expect("a consumer")
}

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

/// Every record of both inputs, per partition, merged by timestamp.
fn read_inputs(config: &Config, consumer: &BaseConsumer) -> Vec<PartitionRecords> {
    let topics = &config.kafka.topics;
    let total: i64 = [&topics.predictions, &topics.labels]
        .iter()
        .map(|t| records_in(consumer, t))
        .sum();
    let partitions =
        mlobs_pipeline::topics::check_copartitioned(&config.kafka).expect("co-partitioned inputs");
    let mut assignment = TopicPartitionList::new();
    for topic in [&topics.predictions, &topics.labels] {
        for partition in 0..partitions {
            let _ = assignment.add_partition_offset(topic, partition, Offset::Beginning);
        }
    }
    consumer.assign(&assignment).expect("assigning the inputs");
    let mut by_partition: Vec<PartitionRecords> = vec![Vec::new(); partitions as usize];
    let mut read = 0;
    let started = Instant::now();
    while read < total {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "read only {read} of {total} records in 5 minutes"
        );
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = message.expect("a record");
        let input = Input::of_topic(topics, message.topic());
        by_partition[message.partition() as usize].push((
            message.timestamp().to_millis().unwrap_or(0),
            input,
            message.payload().unwrap_or_default().to_vec(),
        ));
        read += 1;
    }
    for records in &mut by_partition {
        records.sort_by_key(|(timestamp, input, _)| (*timestamp, *input as u8));
    }
    by_partition
}

/// Waits until the join group has committed the end of every input
/// partition; returns when, in seconds since 1970.
fn until_committed(config: &Config, consumer: &BaseConsumer) -> f64 {
    let topics = &config.kafka.topics;
    let partitions =
        mlobs_pipeline::topics::check_copartitioned(&config.kafka).expect("co-partitioned inputs");
    let mut ends = TopicPartitionList::new();
    for topic in [&topics.predictions, &topics.labels] {
        for partition in 0..partitions {
            let (_, high) = consumer
                .fetch_watermarks(topic, partition, Duration::from_secs(10))
                .expect("watermarks");
            let _ = ends.add_partition_offset(topic, partition, Offset::Offset(high));
        }
    }
    let group: BaseConsumer =
        mlobs_pipeline::kafka::consumer_config(&config.kafka, &config.kafka.groups.join)
            .create()
            .expect("a consumer of the join group");
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the join group did not commit its input in 10 minutes"
        );
        let committed = group
            .committed_offsets(ends.clone(), Duration::from_secs(10))
            .expect("committed offsets");
        let done = ends.elements().iter().all(|end| {
            committed
                .find_partition(end.topic(), end.partition())
                .and_then(|c| c.offset().to_raw())
                .is_some_and(|offset| Some(offset) >= end.offset().to_raw())
        });
        if done {
            return std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_secs_f64();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs one partition's records through a worker; returns the partial bytes
/// it encoded (so that nothing is optimised away).
fn process(
    config: &Config,
    baselines: &Baselines,
    partition: u32,
    sources: u32,
    records: &PartitionRecords,
) -> usize {
    let schemas = Arc::new(config.writer_schemas().expect("writer schemas"));
    let mut worker = PartitionWorker::new(
        partition,
        sources,
        mlobs_pipeline::stage1::operator_config(config),
        None,
        baselines,
        schemas,
    );
    let mut effects = Effects::default();
    let mut offsets = [0i64; 2];
    let mut partial_bytes = 0;
    for (i, (_, input, payload)) in records.iter().enumerate() {
        let offset = &mut offsets[*input as usize];
        let record = SourceRecord {
            input: *input,
            offset: *offset,
            key: None,
            payload,
        };
        worker.handle(record, &mut effects);
        *offset += 1;
        if i % 1_000 == 0 {
            worker.advance(&mut effects);
            partial_bytes += drain(&mut effects);
        }
    }
    worker.set_idle(Input::Predictions, true);
    worker.set_idle(Input::Labels, true);
    worker.flush(&mut effects);
    partial_bytes + drain(&mut effects)
}

/// Forgets what a worker produced, as if it had been sent; its partials' size.
fn drain(effects: &mut Effects) -> usize {
    effects.predictions.clear();
    effects.outcomes.clear();
    effects.dead_letters.clear();
    effects.partials.drain(..).map(|(_, p)| p.len()).sum()
}

fn main() {
    let config = Config::load(None).expect("the mlobs config");
    let consumer = consumer(&config);
    if std::env::args().any(|arg| arg == "--until-committed") {
        println!("{:.3}", until_committed(&config, &consumer));
        return;
    }
    if std::env::args().any(|arg| arg == "--written") {
        let own = &config.kafka.topics;
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
    let inputs = read_inputs(&config, &consumer);
    let baselines = Baselines::load(&config.baselines.dir).expect("the baselines");
    let events: usize = inputs.iter().map(Vec::len).sum();
    let sources = inputs.len() as u32;
    let mut rates = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        std::thread::scope(|scope| {
            for (partition, records) in inputs.iter().enumerate() {
                let (config, baselines) = (&config, &baselines);
                scope.spawn(move || {
                    std::hint::black_box(process(
                        config,
                        baselines,
                        partition as u32,
                        sources,
                        records,
                    ))
                });
            }
        });
        rates.push(events as f64 / started.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "runtime in process on the same records: {events} events at {:.0} events/s (median of 3: {:.0}-{:.0}; one thread per partition, {sources} partitions)",
        rates[1], rates[0], rates[2]
    );
}
