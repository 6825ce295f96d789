//! Where the agent keeps its incidents and actions: the compacted topics
//! `kafka.topics.incidents` and `kafka.topics.agent_actions` (JSON, keyed
//! by id: the record of truth, read back at start so that a restarted
//! worker continues every open incident), mirrored to ClickHouse's
//! `incidents` and `agent_actions` for history and `get_incident`.
//!
//! A record is acknowledged by the broker before `save_*` returns: the
//! worker writes "executing" before it calls MLflow, and a restart that
//! finds it checks the registry instead of calling again.

use std::collections::BTreeMap;
use std::time::Duration;

use mlobs_pipeline::config::KafkaConfig;
use mlobs_pipeline::kafka::{reader_config, Member};
use mlobs_pipeline::kafka_log::{self, Quiet};
use mlobs_pipeline::outbox::{Outbox, Outgoing};
use mlobs_pipeline::read_back::read_records;
use mlobs_pipeline::shutdown::Shutdown;
use mlobs_pipeline::sinks::clickhouse::{columns, migrate, ClickHouse};
use mlobs_pipeline::PipelineError;
use rdkafka::consumer::Consumer;
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::de::DeserializeOwned;

use mlobs_pipeline::sinks::clickhouse::action_row::ActionRow;

use super::rows::{action_row, IncidentRow};
use super::WorkerError;
use crate::graph::{Action, Incident};

/// Writes incidents and actions.
pub struct Store {
    kafka: KafkaConfig,
    outbox: Outbox,
    clickhouse: Option<ClickHouse>,
}

impl Store {
    /// A store on `kafka`'s topics and, when configured, ClickHouse (its
    /// schema applied first).
    pub fn open(
        kafka: &KafkaConfig,
        clickhouse: Option<ClickHouse>,
        shutdown: &Shutdown,
    ) -> Result<Store, WorkerError> {
        if let Some(clickhouse) = &clickhouse {
            migrate::migrate(clickhouse)?;
        }
        let producer = mlobs_pipeline::kafka::producer(kafka)?;
        Ok(Store {
            kafka: kafka.clone(),
            outbox: Outbox::new(producer, shutdown.clone()),
            clickhouse,
        })
    }

    /// Saves `incident`: on its topic (acknowledged), then in ClickHouse.
    pub fn save_incident(&mut self, incident: &Incident) -> Result<(), WorkerError> {
        let topic = self.kafka.topics.incidents.clone();
        self.send(&topic, &incident.incident_id, incident)?;
        if let Some(clickhouse) = &self.clickhouse {
            let written = columns::insert_as_declared::<IncidentRow>(
                clickhouse,
                "incidents",
                &[IncidentRow::new(incident)],
            );
            mirror_failed("incidents", written);
        }
        Ok(())
    }

    /// Saves `action`: on its topic (acknowledged), then in ClickHouse.
    pub fn save_action(&mut self, action: &Action) -> Result<(), WorkerError> {
        let topic = self.kafka.topics.agent_actions.clone();
        self.send(&topic, &action.action_id, action)?;
        if let Some(clickhouse) = &self.clickhouse {
            let written = columns::insert_as_declared::<ActionRow>(
                clickhouse,
                "agent_actions",
                &[action_row(action)],
            );
            mirror_failed("agent_actions", written);
        }
        Ok(())
    }

    fn send<T: serde::Serialize>(
        &mut self,
        topic: &str,
        key: &str,
        value: &T,
    ) -> Result<(), WorkerError> {
        let payload = serde_json::to_vec(value).expect("records serialize");
        self.outbox.send(Outgoing {
            topic,
            partition: None,
            key: key.as_bytes(),
            payload: &payload,
            headers: None,
            timestamp: None,
        })?;
        self.outbox.flush()?;
        Ok(())
    }
}

/// The topic is the record of truth: a ClickHouse that refuses or is away
/// costs the history a row (the next change writes the newest state), not
/// the incident.
fn mirror_failed(
    table: &str,
    written: Result<(), mlobs_pipeline::sinks::clickhouse::ClickHouseError>,
) {
    if let Err(error) = written {
        tracing::warn!(table, %error, "not mirrored to ClickHouse; the topic has it");
    }
}

/// Every incident, newest state per id, from the incidents topic.
pub fn restore_incidents(kafka: &KafkaConfig) -> Result<BTreeMap<String, Incident>, WorkerError> {
    let mut incidents: BTreeMap<String, Incident> = BTreeMap::new();
    for incident in read_json::<Incident>(kafka, &kafka.topics.incidents, "incidents")? {
        match incidents.get(&incident.incident_id) {
            Some(known) if known.updated_ms > incident.updated_ms => {}
            _ => {
                incidents.insert(incident.incident_id.clone(), incident);
            }
        }
    }
    Ok(incidents)
}

/// Every action, merged per id (see [`Action::merge`]).
pub fn restore_actions(kafka: &KafkaConfig) -> Result<BTreeMap<String, Action>, WorkerError> {
    let mut actions = BTreeMap::new();
    for action in read_json::<Action>(kafka, &kafka.topics.agent_actions, "agent actions")? {
        merge(&mut actions, action);
    }
    Ok(actions)
}

/// Puts `action` into `actions`, merged with what is known of it.
pub fn merge(actions: &mut BTreeMap<String, Action>, action: Action) {
    let merged = match actions.remove(&action.action_id) {
        Some(known) => known.merge(action),
        None => action,
    };
    actions.insert(merged.action_id.clone(), merged);
}

fn read_json<T: DeserializeOwned>(
    kafka: &KafkaConfig,
    topic: &str,
    what: &'static str,
) -> Result<Vec<T>, WorkerError> {
    Ok(read_records(kafka, topic, what)?
        .into_iter()
        .filter_map(|record| decode(topic, record.partition, record.offset, &record.payload))
        .collect())
}

fn decode<T: DeserializeOwned>(
    topic: &str,
    partition: i32,
    offset: i64,
    payload: &[u8],
) -> Option<T> {
    serde_json::from_slice(payload)
        .map_err(|error| {
            tracing::warn!(topic, partition, offset, %error, "skipping a record this mlobs cannot read");
        })
        .ok()
}

/// Follows the actions topic from its start: how the worker hears of the
/// approvals `mlobs agent approve` and the MCP tools write.
pub struct ActionTail {
    consumer: Member<Quiet>,
    topic: String,
}

impl ActionTail {
    /// A reader of every partition of the actions topic, from the start.
    pub fn open(kafka: &KafkaConfig) -> Result<ActionTail, WorkerError> {
        let topic = kafka.topics.agent_actions.clone();
        let consumer = Member::create(&reader_config(kafka), Quiet, "agent actions tail")?;
        let partitions = mlobs_pipeline::topics::partition_count(kafka, &topic)?;
        let mut assignment = TopicPartitionList::new();
        for partition in 0..partitions {
            assignment
                .add_partition_offset(&topic, partition, Offset::Beginning)
                .map_err(|e| PipelineError::kafka("positioning the actions tail", e))?;
        }
        consumer
            .assign(&assignment)
            .map_err(|e| PipelineError::kafka("assigning the actions topic", e))?;
        Ok(ActionTail { consumer, topic })
    }

    /// The action records that arrived since the last call.
    pub fn drain(&self) -> Result<Vec<Action>, PipelineError> {
        let mut actions = Vec::new();
        while let Some(result) = self.consumer.poll(Duration::from_millis(10)) {
            match result {
                Ok(message) => actions.extend(decode::<Action>(
                    &self.topic,
                    message.partition(),
                    message.offset(),
                    message.payload().unwrap_or_default(),
                )),
                Err(error) => {
                    if let Some(error) = kafka_log::poll_error(error, "reading the actions topic") {
                        return Err(PipelineError::unauthorized(
                            &error,
                            "READ",
                            "TOPIC",
                            &self.topic,
                        )
                        .unwrap_or_else(|| {
                            PipelineError::kafka("reading the actions topic", error)
                        }));
                    }
                    break;
                }
            }
        }
        Ok(actions)
    }
}
