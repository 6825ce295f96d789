//! KafkaOutput against the real local broker (`make up`): both streams keyed
//! by prediction_id into co-partitioned topics, every record stamped with its
//! event time, and exactly what the truth counts arrives.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use common::small;
use mlobs_scenarios::kafka_output::KafkaOutput;
use mlobs_scenarios::Scenario;
use mlobs_schemas::{GroundTruthEvent, PredictionEvent, WriterSchemas};
use mlobs_testkit::{brokers, consume_all, create_topics, payload, unique_name};
use rdkafka::message::OwnedMessage;
use rdkafka::Message;

#[test]
fn both_streams_arrive_keyed_copartitioned_and_stamped_with_event_time() {
    let prefix = unique_name("scenarios");
    let (predictions_topic, labels_topic) =
        (format!("{prefix}.predictions"), format!("{prefix}.labels"));
    let _own = create_topics(&[&predictions_topic, &labels_topic], 3);
    let text = small("").replace("duration = \"20m\"", "duration = \"3m\"");
    let mut world = Scenario::from_toml(&text).unwrap().prepare().unwrap();
    let mut output = KafkaOutput::connect(
        &brokers(),
        &BTreeMap::new(),
        &predictions_topic,
        &labels_topic,
    )
    .unwrap();
    let truth = world.run(&mut output, 60_000).unwrap();
    output.finish(Duration::from_secs(30)).unwrap();
    let totals = truth.totals();
    let sent =
        |f: fn(&mlobs_scenarios::Counts) -> u64| totals.values().map(f).sum::<u64>() as usize;
    let (n_predictions, n_labels) = (sent(|c| c.predictions), sent(|c| c.labeled));
    assert!(n_predictions > 300 && n_labels > 200);

    let schemas = WriterSchemas::builtin();
    let records = consume_all(&predictions_topic, n_predictions, Duration::from_secs(30));
    assert_eq!(records.len(), n_predictions);
    let mut partition_of: HashMap<String, i32> = HashMap::new();
    for record in &records {
        let event: PredictionEvent = schemas.decode(payload(record)).unwrap();
        check_record(record, &event.prediction_id, event.event_time);
        partition_of.insert(event.prediction_id, record.partition());
    }
    let records = consume_all(&labels_topic, n_labels, Duration::from_secs(30));
    assert_eq!(records.len(), n_labels);
    for record in &records {
        let event: GroundTruthEvent = schemas.decode(payload(record)).unwrap();
        check_record(record, &event.prediction_id, event.event_time);
        assert_eq!(
            partition_of[&event.prediction_id],
            record.partition(),
            "a label meets its prediction"
        );
    }
}

fn check_record(record: &OwnedMessage, id: &str, event_time: i64) {
    assert_eq!(record.key(), Some(id.as_bytes()));
    assert_eq!(record.timestamp().to_millis(), Some(event_time));
}
