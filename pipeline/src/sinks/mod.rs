//! Where results go besides Kafka: the ClickHouse history and the
//! Prometheus live view.

pub mod clickhouse;
pub mod prometheus;

use std::sync::Arc;
use std::time::Duration;

use crate::health::{self, Health, Stage};
use crate::shutdown::Shutdown;
use crate::{Config, PipelineError};
use clickhouse::writer::{HistoryWriter, WriterEnv};
use clickhouse::ClickHouse;

/// The sinks a stage writes to, shared by every stage of a process.
#[derive(Clone)]
pub struct Sinks {
    /// The history, or `None` when `clickhouse.url` is empty.
    pub clickhouse: Option<ClickHouse>,
    /// Rows per table that trigger an insert before the next checkpoint.
    pub batch_rows: usize,
    /// The metrics `/metrics` serves.
    pub metrics: Arc<Metrics>,
    /// What `/readyz` reports.
    pub health: Arc<Health>,
}

impl Sinks {
    /// The history alone (for `mlobs replay`): the ClickHouse client, with
    /// the schema applied, when `clickhouse.url` is set.
    pub fn history_only(config: &Config) -> Result<Sinks, PipelineError> {
        Sinks::with_history(config, &[])
    }

    /// Starts the sinks of a process running `stages`: the history (see
    /// [`Sinks::history_only`]), the metrics and health endpoints when
    /// `metrics.listen` is set (the bound address is logged; port 0 picks
    /// one), and the health checks.
    pub fn start(
        config: &Config,
        stages: &[Stage],
        shutdown: &Shutdown,
    ) -> Result<Sinks, PipelineError> {
        let sinks = Sinks::with_history(config, stages)?;
        if !config.metrics.listen.is_empty() {
            let address = prometheus::server::serve(
                &config.metrics.listen,
                sinks.metrics.clone(),
                sinks.health.clone(),
            )?;
            tracing::info!(%address, "serving /metrics, /healthz and /readyz");
        }
        health::spawn_checks(
            sinks.health.clone(),
            crate::kafka::offsets_client(&config.kafka)?,
            sinks.clickhouse.clone(),
            shutdown.clone(),
            Duration::from_secs(5),
        );
        Ok(sinks)
    }

    /// The ClickHouse client (schema applied) and fresh metrics and health
    /// for a process running `stages`.
    fn with_history(config: &Config, stages: &[Stage]) -> Result<Sinks, PipelineError> {
        let clickhouse = ClickHouse::from_config(&config.clickhouse)?;
        if let Some(clickhouse) = &clickhouse {
            clickhouse::migrate::migrate(clickhouse)?;
        }
        Ok(Sinks {
            batch_rows: config.clickhouse.batch_rows.max(1),
            metrics: Arc::new(
                Metrics::new(config.limits.max_error_types)
                    .with_alert_rules(config.alerts.rules().unwrap_or_default()),
            ),
            health: Arc::new(Health::new(stages, clickhouse.is_some())),
            clickhouse,
        })
    }

    /// A writer of history rows, when the history is on.
    pub fn history_writer(&self, shutdown: &Shutdown) -> Option<HistoryWriter> {
        let env = WriterEnv {
            shutdown: shutdown.clone(),
            metrics: self.metrics.clone(),
            health: self.health.clone(),
        };
        self.clickhouse
            .clone()
            .map(|clickhouse| HistoryWriter::new(clickhouse, self.batch_rows, env))
    }
}

pub use self::prometheus::Metrics;
