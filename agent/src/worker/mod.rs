//! The agent worker (`mlobs agent run`): a consumer of the alerts topic
//! that takes each incident through the graph ([`crate::graph`]): Monitor
//! folds the alerts in, Investigate and Reason name the cause, Act
//! proposes a remedy and carries it out once approved, Verify watches the
//! next windows. Incidents and actions live on compacted topics (read back
//! at start) and in ClickHouse; approvals arrive on the actions topic.
//!
//! Run one worker per alerts topic: an incident groups the alerts of one
//! model, and two workers would each see only their partitions' share.

mod advance;
pub mod execute;
mod retraining;
pub mod rows;
pub mod store;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mlobs_pipeline::config::{AlertRules, KafkaConfig, RetrainConfig};
use mlobs_pipeline::health::Health;
use mlobs_pipeline::kafka::{consumer_config, Member};
use mlobs_pipeline::kafka_log::{self, Quiet};
use mlobs_pipeline::shutdown::Shutdown;
use mlobs_pipeline::sinks::clickhouse::{ClickHouse, ClickHouseError};
use mlobs_pipeline::sinks::prometheus::server::serve;
use mlobs_pipeline::sinks::prometheus::Metrics;
use mlobs_pipeline::{Config, PipelineError};
use mlobs_schemas::time::now_ms;
use mlobs_schemas::{AlertEvent, WriterSchemas};
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::Message;

use crate::graph::policy::{Policy, PolicyError};
use crate::graph::{monitor, Action, ActionStatus, Incident, IncidentStatus};
use crate::narrator::Narrator;
use crate::tools::{ToolError, Tools};
use store::{ActionTail, Store};

/// Why the worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// Kafka or the configuration.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// ClickHouse's schema could not be applied.
    #[error(transparent)]
    ClickHouse(#[from] ClickHouseError),
    /// The approval policy cannot be read.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The tools cannot be built.
    #[error(transparent)]
    Tools(#[from] ToolError),
}

/// The worker's state and connections.
pub struct Worker {
    tools: Tools,
    clickhouse: Option<ClickHouse>,
    policy: Policy,
    rules: AlertRules,
    verify_windows: usize,
    store: Store,
    narrator: Option<Narrator>,
    metrics: Arc<Metrics>,
    incidents: BTreeMap<String, Incident>,
    /// Incidents the Monitor node changed since they were last saved.
    dirty: BTreeSet<String>,
    actions: BTreeMap<String, Action>,
    /// `[retrain]`: the job's settings and the per-model triggers.
    retrain: RetrainConfig,
    /// When this worker started (wall ms): a schedule counts from here.
    started_ms: i64,
    /// When the triggers last looked at the history.
    triggers_checked: Instant,
}

/// Runs the worker until `shutdown`.
pub fn run(config: &Config, shutdown: &Shutdown) -> Result<(), WorkerError> {
    let tools = Tools::from_config(config)?;
    let clickhouse = Some(tools.clickhouse().clone());
    let kafka = &config.kafka;
    let metrics = Arc::new(Metrics::default());
    if !config.agent.metrics_listen.is_empty() {
        let health = Arc::new(Health::new(&[], true));
        let address = serve(&config.agent.metrics_listen, Arc::clone(&metrics), health)?;
        tracing::info!(%address, "serving /metrics, /healthz and /readyz");
    }
    let mut worker = Worker {
        policy: Policy::load(&config.agent.policy_dir)?,
        rules: config.alerts.rules().map_err(PipelineError::from)?,
        verify_windows: config.agent.verify_windows as usize,
        store: Store::open(kafka, clickhouse.clone(), shutdown)?,
        narrator: Narrator::from_config(&config.agent.llm),
        metrics,
        incidents: store::restore_incidents(kafka)?,
        actions: store::restore_actions(kafka)?,
        dirty: BTreeSet::new(),
        retrain: config.retrain.clone(),
        started_ms: now_ms(),
        triggers_checked: Instant::now(),
        tools,
        clickhouse,
    };
    let open = worker
        .incidents
        .values()
        .filter(|i| i.status == IncidentStatus::Open)
        .count();
    tracing::info!(open, actions = worker.actions.len(), "incidents restored");
    let tail = ActionTail::open(kafka)?;
    let schemas = config.writer_schemas().map_err(PipelineError::from)?;
    let instance = if kafka.instance_id.is_empty() {
        "mlobs-agent"
    } else {
        &kafka.instance_id
    };
    let mut settings = consumer_config(kafka, &kafka.groups.agent);
    settings.set("group.instance.id", instance);
    let alerts = Member::create(&settings, Quiet, "alerts")?;
    alerts
        .subscribe(&[kafka.topics.alerts.as_str()])
        .map_err(|e| PipelineError::kafka("subscribing to the alerts topic", e))?;
    let tick = Duration::from_millis(config.agent.poll_ms.max(10));
    while !shutdown.requested() {
        let read = worker.read_alerts(&alerts, &schemas, tick, kafka)?;
        for action in tail.drain()? {
            store::merge(&mut worker.actions, action);
        }
        if let Err(error) = worker.step() {
            // A missing ACL is not cured by trying again.
            if let WorkerError::Pipeline(PipelineError::Unauthorized { .. }) = error {
                return Err(error);
            }
            tracing::warn!(%error, "the agent could not save its progress; trying again");
            shutdown.wait(tick);
            continue;
        }
        if read > 0 {
            // Everything the alerts changed is saved: commit them.
            if let Err(error) = alerts.commit_consumer_state(CommitMode::Async) {
                tracing::debug!(%error, "alerts offsets not committed this time");
            }
        }
    }
    alerts.unsubscribe();
    Ok(())
}

impl Worker {
    /// Folds the alerts that arrive within `wait` (then those already
    /// there) into the incidents; returns how many were read.
    fn read_alerts(
        &mut self,
        alerts: &Member<Quiet>,
        schemas: &WriterSchemas,
        wait: Duration,
        kafka: &KafkaConfig,
    ) -> Result<usize, WorkerError> {
        let mut read = 0;
        let mut timeout = wait;
        while let Some(result) = alerts.poll(timeout) {
            timeout = Duration::ZERO;
            let message = match result {
                Ok(message) => message,
                Err(error) => {
                    if let Some(error) = kafka_log::poll_error(error, "reading the alerts") {
                        let (resource, name) = match error.rdkafka_error_code() {
                            Some(RDKafkaErrorCode::GroupAuthorizationFailed) => {
                                ("GROUP", &kafka.groups.agent)
                            }
                            _ => ("TOPIC", &kafka.topics.alerts),
                        };
                        return Err(PipelineError::unauthorized(&error, "READ", resource, name)
                            .unwrap_or_else(|| PipelineError::kafka("reading the alerts", error))
                            .into());
                    }
                    break;
                }
            };
            read += 1;
            match schemas.decode::<AlertEvent>(message.payload().unwrap_or_default()) {
                Ok(alert) => {
                    let folded = monitor::fold(&mut self.incidents, &alert, now_ms());
                    if let monitor::Folded::Opened(_) = &folded {
                        self.metrics.agent_incident("opened");
                    }
                    if let monitor::Folded::Opened(id) | monitor::Folded::Changed(id) = &folded {
                        self.dirty.insert(id.clone());
                    }
                    tracing::info!(alert = %alert.alert_id, rule = %alert.rule, model = %alert.model, status = ?alert.status, ?folded, "alert");
                }
                Err(error) => tracing::warn!(
                    partition = message.partition(),
                    offset = message.offset(),
                    %error,
                    "skipping an alert this mlobs cannot read"
                ),
            }
        }
        Ok(read)
    }

    /// Advances every open incident, starts the retraining jobs the
    /// triggers call for, and carries out approved actions that no open
    /// incident carries: asked for over MCP or by a trigger (no incident),
    /// or approved after their incident closed.
    fn step(&mut self) -> Result<(), WorkerError> {
        let open: Vec<String> = self
            .incidents
            .values()
            .filter(|i| i.status == IncidentStatus::Open)
            .map(|i| i.incident_id.clone())
            .collect();
        for id in open {
            self.advance(&id)?;
        }
        self.check_triggers()?;
        let carried = |a: &Action| {
            self.incidents
                .get(&a.incident_id)
                .is_some_and(|i| i.status == IncidentStatus::Open)
        };
        let requested: Vec<Action> = self
            .actions
            .values()
            .filter(|a| !carried(a))
            .filter(|a| matches!(a.status, ActionStatus::Approved | ActionStatus::Executing))
            .cloned()
            .collect();
        for action in requested {
            self.carry_out(action)?;
        }
        Ok(())
    }
}
