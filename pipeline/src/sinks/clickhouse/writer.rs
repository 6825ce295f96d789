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
//!
//! A batch ClickHouse refuses for a reason in the rows (a value a column
//! cannot hold: a `DateTime` after 2106, text where a number belongs) is
//! split in halves until the refused rows are found; they become dead
//! letters (`sink_rejected`, with the server's message) and the rest is
//! written. Refusals that are not about the data (a missing table, a wrong
//! password) still stop the stage: every row would fail.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{ClickHouse, ClickHouseError};
use crate::dead_letters::{DeadLetter, Origin};
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

    /// Inserts everything buffered; returns once ClickHouse acknowledged it,
    /// with the rows it refused for their data (see the module docs).
    /// Transient failures are retried with backoff until shutdown.
    pub fn flush(&mut self) -> Result<Vec<DeadLetter>, PipelineError> {
        let mut refused = Vec::new();
        for index in 0..self.pending.len() {
            if self.pending[index].rows > 0 {
                let table = self.pending[index].table;
                let lines = std::mem::take(&mut self.pending[index].lines);
                self.pending[index].rows = 0;
                let rows: Vec<&[u8]> = lines
                    .split(|b| *b == b'\n')
                    .filter(|row| !row.is_empty())
                    .collect();
                self.insert_isolating(table, &rows, &mut refused)?;
            }
        }
        Ok(refused)
    }

    /// Inserts `rows`; when ClickHouse refuses them for their data, splits
    /// them to find the refused rows, which go to `refused`.
    fn insert_isolating(
        &self,
        table: &'static str,
        rows: &[&[u8]],
        refused: &mut Vec<DeadLetter>,
    ) -> Result<(), PipelineError> {
        let error = match self.insert(table, rows) {
            Ok(()) => return Ok(()),
            Err(Failure::Stopped(e)) => return Err(e),
            Err(Failure::Refused(error)) => error,
        };
        if !error.is_about_the_data() {
            self.env.health.set_clickhouse(false);
            return Err(error.into());
        }
        if let [row] = rows {
            tracing::warn!(table, %error, "ClickHouse refused a row; it goes to the dead-letter topic");
            refused.push(DeadLetter {
                origin: Origin::Sink {
                    sink: "clickhouse",
                    table,
                },
                key: None,
                payload: row.to_vec(),
                reason: "sink_rejected",
                detail: error.to_string(),
                withheld: None,
            });
            return Ok(());
        }
        let (first, second) = rows.split_at(rows.len() / 2);
        self.insert_isolating(table, first, refused)?;
        self.insert_isolating(table, second, refused)
    }

    fn insert(&self, table: &'static str, rows: &[&[u8]]) -> Result<(), Failure> {
        let mut body = Vec::with_capacity(rows.iter().map(|r| r.len() + 1).sum());
        for row in rows {
            body.extend_from_slice(row);
            body.push(b'\n');
        }
        let mut backoff = FIRST_BACKOFF;
        let mut paused_since: Option<Instant> = None;
        loop {
            let started = Instant::now();
            match self.clickhouse.insert(table, &body) {
                Ok(()) => {
                    self.env
                        .metrics
                        .sink_write("clickhouse", table, started.elapsed(), rows.len());
                    self.env.health.set_clickhouse(true);
                    if let Some(since) = paused_since {
                        tracing::info!(
                            table,
                            rows = rows.len(),
                            paused_s = since.elapsed().as_secs_f64(),
                            "ClickHouse took the waiting rows; consumption resumes"
                        );
                    }
                    return Ok(());
                }
                Err(e) => {
                    self.env.metrics.sink_failure("clickhouse", table);
                    if !e.is_transient() {
                        return Err(Failure::Refused(e));
                    }
                    self.env.health.set_clickhouse(false);
                    if paused_since.is_none() {
                        tracing::warn!(error = %e, "ClickHouse is unavailable; consumption pauses, retrying with backoff");
                        paused_since = Some(Instant::now());
                    }
                }
            }
            if !self.env.shutdown.wait(backoff) {
                return Err(Failure::Stopped(PipelineError::Stopped(format!(
                    "shut down while ClickHouse was unreachable: {} rows for {table} were not written; their input offsets were not committed, so the next start writes them",
                    rows.len()
                ))));
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

/// Why an insert did not happen.
enum Failure {
    /// ClickHouse refused, and retrying would not change that.
    Refused(ClickHouseError),
    /// Shutdown came while waiting for ClickHouse.
    Stopped(PipelineError),
}
