//! Buffered inserts that wait for ClickHouse rather than lose rows.
//!
//! A stage adds rows as it goes and flushes at each checkpoint (so the batch
//! is bounded in time) or when a table has `clickhouse.batch_rows` rows (so
//! it is bounded in size). A flush returns only once ClickHouse has
//! acknowledged every row: the stage commits input offsets after that, never
//! before. While ClickHouse is unreachable the flush retries with backoff;
//! the stage is blocked meanwhile, its bounded input channel fills and the
//! consumer stops reading, so memory stays bounded and consumption resumes
//! where it paused. Rows sent twice (an insert that landed although the
//! answer was lost) are replaced by the tables' keys.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::ClickHouse;
use crate::health::Health;
use crate::shutdown::Shutdown;
use crate::sinks::Metrics;
use crate::PipelineError;

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Rows waiting for one table, as JSONEachRow lines.
struct Pending {
    table: &'static str,
    lines: Vec<u8>,
    rows: usize,
}

/// What a writer needs besides ClickHouse: when to give up (shutdown) and
/// where to report.
#[derive(Clone)]
pub struct WriterEnv {
    /// Set on SIGINT/SIGTERM: a flush that cannot finish then gives up (its
    /// rows come again from Kafka, since the offsets were not committed).
    pub shutdown: Shutdown,
    /// Write latency and failures.
    pub metrics: Arc<Metrics>,
    /// ClickHouse health for `/readyz`.
    pub health: Arc<Health>,
}

/// A stage's buffered rows for the tables it feeds.
pub struct HistoryWriter {
    clickhouse: ClickHouse,
    pending: Vec<Pending>,
    batch_rows: usize,
    env: WriterEnv,
}

impl HistoryWriter {
    /// A writer of `tables` (names in database `mlobs`).
    pub fn new(
        clickhouse: ClickHouse,
        tables: &[&'static str],
        batch_rows: usize,
        env: WriterEnv,
    ) -> Self {
        let pending = tables
            .iter()
            .map(|&table| Pending {
                table,
                lines: Vec::new(),
                rows: 0,
            })
            .collect();
        HistoryWriter {
            clickhouse,
            pending,
            batch_rows,
            env,
        }
    }

    /// Buffers one row for `table` (one of the writer's tables).
    pub fn add(&mut self, table: &str, row: &impl Serialize) {
        let pending = self
            .pending
            .iter_mut()
            .find(|p| p.table == table)
            .expect("a table this writer was made for");
        serde_json::to_writer(&mut pending.lines, row).expect("rows serialize");
        pending.lines.push(b'\n');
        pending.rows += 1;
    }

    /// True when some table has a full batch waiting.
    pub fn is_full(&self) -> bool {
        self.pending.iter().any(|p| p.rows >= self.batch_rows)
    }

    /// Rows waiting, over all tables.
    pub fn waiting(&self) -> usize {
        self.pending.iter().map(|p| p.rows).sum()
    }

    /// Inserts everything buffered; returns once ClickHouse acknowledged it.
    /// Transient failures are retried with backoff until shutdown.
    pub fn flush(&mut self) -> Result<(), PipelineError> {
        for index in 0..self.pending.len() {
            if self.pending[index].rows > 0 {
                self.insert(index)?;
                let pending = &mut self.pending[index];
                pending.lines.clear();
                pending.rows = 0;
            }
        }
        Ok(())
    }

    fn insert(&self, index: usize) -> Result<(), PipelineError> {
        let Pending { table, lines, rows } = &self.pending[index];
        let mut backoff = FIRST_BACKOFF;
        let mut paused_since: Option<Instant> = None;
        loop {
            let started = Instant::now();
            match self.clickhouse.insert(table, lines) {
                Ok(()) => {
                    self.env
                        .metrics
                        .sink_write("clickhouse", table, started.elapsed(), *rows);
                    self.env.health.set_clickhouse(true);
                    if let Some(since) = paused_since {
                        eprintln!(
                            "mlobs: ClickHouse took the {rows} rows for {table} after a pause of {:.1} s; consumption resumes",
                            since.elapsed().as_secs_f64()
                        );
                    }
                    return Ok(());
                }
                Err(e) => {
                    self.env.metrics.sink_failure("clickhouse", table);
                    self.env.health.set_clickhouse(false);
                    if !e.is_transient() {
                        return Err(e.into());
                    }
                    if paused_since.is_none() {
                        eprintln!("mlobs: {e}; consumption pauses, retrying with backoff");
                        paused_since = Some(Instant::now());
                    }
                }
            }
            if !self.env.shutdown.wait(backoff) {
                return Err(PipelineError::Stopped(format!(
                    "shut down while ClickHouse was unreachable: {rows} rows for {table} were not written; their input offsets were not committed, so the next start writes them"
                )));
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}
