//! Reading a topic of Avro records from its start, across calls, while the
//! test goes on (the alerts topic, the predictions topic).

use std::time::{Duration, Instant};

use mlobs_schemas::{AvroRecord, WriterSchemas};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

/// A consumer of one topic and what it read so far.
pub struct TopicReader<T> {
    consumer: BaseConsumer,
    schemas: WriterSchemas,
    /// (key, record) of every record read so far.
    records: Vec<(String, T)>,
}

impl<T: AvroRecord> TopicReader<T> {
    /// Reads `topic` of the broker at `brokers` from its first record, on
    /// every partition the topic has now. Assigned, not subscribed: a
    /// group would have to be joined first, which on a loaded broker takes
    /// seconds of polling before the first record.
    pub fn new(brokers: &str, topic: &str) -> Self {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", mlobs_testkit::unique_name("topic-reader"))
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let metadata = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(30))
            .unwrap();
        let mut assignment = TopicPartitionList::new();
        for partition in metadata.topics().iter().flat_map(|t| t.partitions()) {
            assignment
                .add_partition_offset(topic, partition.id(), Offset::Beginning)
                .unwrap();
        }
        assert!(assignment.count() > 0, "topic {topic} exists");
        consumer.assign(&assignment).unwrap();
        TopicReader {
            consumer,
            schemas: WriterSchemas::builtin(),
            records: Vec::new(),
        }
    }

    /// Reads what arrived within about `for_how_long`; returns every
    /// record read so far.
    pub fn read_for(&mut self, for_how_long: Duration) -> &[(String, T)] {
        let until = Instant::now() + for_how_long;
        while Instant::now() < until {
            if let Some(Ok(message)) = self.consumer.poll(Duration::from_millis(100)) {
                let key = String::from_utf8_lossy(message.key().unwrap_or_default()).to_string();
                let record = self
                    .schemas
                    .decode::<T>(message.payload().unwrap_or_default())
                    .expect("every record of the topic decodes");
                self.records.push((key, record));
            }
        }
        &self.records
    }

    /// Reads what arrived within about a second.
    pub fn read(&mut self) -> &[(String, T)] {
        self.read_for(Duration::from_secs(1))
    }
}
