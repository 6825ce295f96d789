//! Stage 2's alerting: the rules of `mlobs_operators::alerts` run on each
//! published window; their state lives per partials partition (every
//! version of a model is in one) and is saved to the alert-state topic, in
//! the partition of the same number, before the offsets that produced it
//! are committed. The instance that takes a partition over reads that
//! record back and continues: a window evaluated before is not evaluated
//! again, and one evaluated again after a crash gives the same events (ids
//! and times come from the windows), so readers see each alert once.

use std::collections::{BTreeMap, BTreeSet};

use mlobs_operators::alerts::ModelAlerts;
use mlobs_schemas::{AlertEvent, WindowMetrics};
use rdkafka::consumer::Consumer;
use serde::{Deserialize, Serialize};

use crate::config::{AlertRules, KafkaConfig};
use crate::kafka::{patiently_until, reader_config, Member};
use crate::kafka_log::Quiet;
use crate::outbox::{Outbox, Outgoing};
use crate::partition_reader::PartitionReader;
use crate::shutdown::Shutdown;
use crate::{Config, PipelineError};

/// The saved alert state of one partials partition.
#[derive(Debug, Default, Serialize, Deserialize)]
struct PartitionState {
    /// The furthest window end seen: the clock of `no_traffic`.
    clock: i64,
    /// Every model of the partition.
    models: Vec<ModelAlerts>,
}

/// The alert state of the partitions this instance evaluates.
pub struct Alerting {
    rules: AlertRules,
    dataset_share: f64,
    partitions: BTreeMap<i32, PartitionState>,
    changed: BTreeSet<i32>,
    events: Vec<AlertEvent>,
}

impl Alerting {
    /// Alerting as `[alerts]` configures it; `None` when disabled.
    pub fn new(config: &Config, dataset_share: f64) -> Result<Option<Alerting>, PipelineError> {
        if !config.alerts.enabled {
            return Ok(None);
        }
        let rules = config
            .alerts
            .rules()
            .map_err(|e| PipelineError::Stopped(e.to_string()))?;
        check_partitions(&config.kafka)?;
        Ok(Some(Alerting {
            rules,
            dataset_share,
            partitions: BTreeMap::new(),
            changed: BTreeSet::new(),
            events: Vec::new(),
        }))
    }

    /// Follows the assignment: reads back the state of partitions new to
    /// this instance, forgets that of partitions it lost. A shutdown asked
    /// for meanwhile leaves the rest unread (the caller stops before it
    /// evaluates anything).
    pub fn follow(
        &mut self,
        kafka: &KafkaConfig,
        owned: &[i32],
        shutdown: &Shutdown,
    ) -> Result<(), PipelineError> {
        self.partitions.retain(|p, _| owned.contains(p));
        for &partition in owned {
            if let std::collections::btree_map::Entry::Vacant(entry) =
                self.partitions.entry(partition)
            {
                let state = match restore(kafka, partition, shutdown) {
                    Err(_) if shutdown.requested() => return Ok(()),
                    other => other?,
                };
                tracing::info!(
                    stage = "evaluate",
                    partition,
                    models = state.models.len(),
                    "alert state restored"
                );
                entry.insert(state);
            }
        }
        Ok(())
    }

    /// Evaluates the rules on windows of `partition`; `champion` names the
    /// version each model serves as champion, when the registry says.
    pub fn evaluate(
        &mut self,
        partition: i32,
        windows: &[WindowMetrics],
        champion: &dyn Fn(&str) -> Option<String>,
    ) {
        let Some(state) = self.partitions.get_mut(&partition) else {
            return;
        };
        for window in windows {
            let thresholds = self.rules.for_model(&window.model);
            let index = match state.models.iter().position(|m| m.model() == window.model) {
                Some(index) => index,
                None => {
                    state.models.push(ModelAlerts::new(&window.model));
                    state.models.len() - 1
                }
            };
            let champion = champion(&window.model);
            let model = &mut state.models[index];
            self.events.extend(model.on_window(
                window,
                thresholds,
                champion.as_deref(),
                self.dataset_share,
            ));
            state.clock = state.clock.max(window.window_end);
            self.changed.insert(partition);
        }
        for model in &mut state.models {
            let thresholds = self.rules.for_model(model.model());
            self.events.extend(model.on_clock(state.clock, thresholds));
        }
    }

    /// Publishes the events since the last call, then the state of the
    /// partitions they changed, and waits for the broker; returns the events.
    pub fn publish(
        &mut self,
        outbox: &mut Outbox,
        config: &Config,
    ) -> Result<Vec<AlertEvent>, PipelineError> {
        let topics = &config.kafka.topics;
        let events = std::mem::take(&mut self.events);
        for event in &events {
            let payload =
                mlobs_schemas::encode(event).map_err(|e| PipelineError::Stopped(e.to_string()))?;
            tracing::info!(
                stage = "evaluate",
                alert_id = %event.alert_id,
                rule = %event.rule,
                model = %event.model,
                version = %event.version,
                status = ?event.status,
                "{}",
                event.summary
            );
            outbox.send(Outgoing {
                topic: &topics.alerts,
                partition: None,
                key: crate::alerts_topic::record_key(event).as_bytes(),
                payload: &payload,
                headers: None,
                timestamp: Some(event.updated_at),
            })?;
        }
        for partition in std::mem::take(&mut self.changed) {
            let Some(state) = self.partitions.get(&partition) else {
                continue;
            };
            let payload = serde_json::to_vec(state).expect("alert state serializes");
            outbox.send(Outgoing {
                topic: &topics.alert_state,
                partition: Some(partition),
                key: partition.to_string().as_bytes(),
                payload: &payload,
                headers: None,
                timestamp: None,
            })?;
        }
        outbox.flush()?;
        Ok(events)
    }
}

/// The state of partials partition p goes to alert-state partition p: the
/// two topics need the same partition count.
fn check_partitions(kafka: &KafkaConfig) -> Result<(), PipelineError> {
    let topics = &kafka.topics;
    let partials = crate::topics::partition_count(kafka, &topics.partials)?;
    let state = crate::topics::partition_count(kafka, &topics.alert_state)?;
    if state != partials {
        return Err(PipelineError::Topic {
            topic: topics.alert_state.clone(),
            detail: format!(
                "it has {state} partitions but {} has {partials}; stage 2 keeps the alert state of \
                 partials partition p in partition p. Recreate it with {partials} partitions, or \
                 set [alerts] enabled = false",
                topics.partials
            ),
        });
    }
    Ok(())
}

/// The newest saved state of `partition` (empty when none was saved).
fn restore(
    kafka: &KafkaConfig,
    partition: i32,
    shutdown: &Shutdown,
) -> Result<PartitionState, PipelineError> {
    let topic = &kafka.topics.alert_state;
    let failed = |detail: String| {
        PipelineError::Stopped(format!(
            "reading the alert state of partition {partition} from {topic}: {detail}"
        ))
    };
    let mut config = reader_config(kafka);
    config.set("enable.partition.eof", "true");
    let consumer = Member::create(&config, Quiet, "alert state reader")?;
    let (low, high) = patiently_until(
        "reading the alert state's offsets",
        &consumer,
        shutdown,
        |c, timeout| c.fetch_watermarks(topic, partition, timeout),
    )
    .map_err(|e| {
        PipelineError::unauthorized(&e, "READ", "TOPIC", topic)
            .unwrap_or_else(|| failed(e.to_string()))
    })?;
    if high <= low {
        return Ok(PartitionState::default());
    }
    let reader = PartitionReader {
        consumer: &consumer,
        topic,
        partition,
    };
    let records = reader.read_range(high - 1, high)?;
    let (_, payload) = records
        .last()
        .ok_or_else(|| failed(format!("offset {} is gone", high - 1)))?;
    serde_json::from_slice(payload).map_err(|e| {
        failed(format!(
            "{e}; this mlobs cannot read it (written by another release?)"
        ))
    })
}
