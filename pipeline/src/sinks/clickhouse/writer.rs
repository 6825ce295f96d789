//! Buffered inserts that wait for ClickHouse rather than lose rows.
//!
//! A stage adds what it produced as it goes and flushes at each checkpoint
//! (so the batch is bounded in time) or when a table has
//! `clickhouse.batch_rows` entries (so it is bounded in size). A flush
//! returns only once ClickHouse has acknowledged every row: the stage
//! commits input offsets after that, never before. While ClickHouse is
//! unreachable the flush retries with backoff; the stage is blocked
//! meanwhile, its bounded input channel fills and the consumer stops
//! reading, so memory stays bounded and consumption resumes where it
//! paused. Rows sent twice (an insert that landed although the answer was
//! lost) are replaced by the tables' keys.
//!
//! A batch ClickHouse refuses for a reason in the rows (a value a column
//! cannot hold) is split in halves until the refused rows are found; they
//! become dead letters (`sink_rejected`, with the server's message, the row
//! as JSON) and the rest is written. Refusals that are not about the data
//! (a missing table, a wrong password, an untrusted certificate) still stop
//! the stage: every row would fail.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clickhouse::Row;

use super::columns::{self, Encoding};
use super::rows::Source;
use super::{ClickHouse, ClickHouseError};
use crate::dead_letters::{DeadLetter, Origin};
use crate::health::Health;
use crate::shutdown::Shutdown;
use crate::sinks::Metrics;
use crate::PipelineError;

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

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
    io: Io,
    batches: Vec<Box<dyn Pending>>,
    batch_rows: usize,
}

/// The connection and the reporting every batch shares.
struct Io {
    clickhouse: ClickHouse,
    env: WriterEnv,
}

impl HistoryWriter {
    /// A writer inserting batches of `batch_rows` per table.
    pub fn new(clickhouse: ClickHouse, batch_rows: usize, env: WriterEnv) -> Self {
        HistoryWriter {
            io: Io { clickhouse, env },
            batches: Vec::new(),
            batch_rows,
        }
    }

    /// Buffers `source` for its table.
    pub fn add<S: Source>(&mut self, source: S) {
        let index = match self.batches.iter().position(|b| b.table() == S::TABLE) {
            Some(index) => index,
            None => {
                self.batches.push(Box::new(Batch::<S> {
                    sources: Vec::new(),
                    encoding: Encoding::RowBinary,
                }));
                self.batches.len() - 1
            }
        };
        let batch: &mut Batch<S> = self.batches[index]
            .as_any()
            .downcast_mut()
            .expect("one source type per table");
        batch.sources.push(source);
    }

    /// True when some table has a full batch waiting.
    pub fn is_full(&self) -> bool {
        self.batches.iter().any(|b| b.len() >= self.batch_rows)
    }

    /// Entries waiting, over all tables.
    pub fn waiting(&self) -> usize {
        self.batches.iter().map(|b| b.len()).sum()
    }

    /// Inserts everything buffered; returns once ClickHouse acknowledged it,
    /// with the rows it refused for their data (see the module docs).
    /// Transient failures are retried with backoff until shutdown.
    pub fn flush(&mut self) -> Result<Vec<DeadLetter>, PipelineError> {
        let mut refused = Vec::new();
        for batch in &mut self.batches {
            batch.flush(&self.io, &mut refused)?;
        }
        Ok(refused)
    }
}

/// A table's batch, whatever its source type.
trait Pending: Send {
    fn table(&self) -> &'static str;
    fn len(&self) -> usize;
    fn as_any(&mut self) -> &mut dyn Any;
    fn flush(&mut self, io: &Io, refused: &mut Vec<DeadLetter>) -> Result<(), PipelineError>;
}

/// The sources waiting for one table, and how that table took rows last.
struct Batch<S> {
    sources: Vec<S>,
    encoding: Encoding,
}

impl<S: Source> Pending for Batch<S> {
    fn table(&self) -> &'static str {
        S::TABLE
    }

    fn len(&self) -> usize {
        self.sources.len()
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }

    fn flush(&mut self, io: &Io, refused: &mut Vec<DeadLetter>) -> Result<(), PipelineError> {
        if self.sources.is_empty() {
            return Ok(());
        }
        let sources = std::mem::take(&mut self.sources);
        let mut rows = Vec::with_capacity(sources.len());
        for source in &sources {
            source.rows(&mut rows);
        }
        let mut insert = Insert::<S> {
            io,
            encoding: self.encoding,
            refused,
            source: PhantomData,
        };
        let result = insert.isolating(&rows);
        self.encoding = insert.encoding;
        result
    }
}

/// One flush of one table: its retries, the encoding the table's columns
/// call for, and the rows refused so far.
struct Insert<'w, S> {
    io: &'w Io,
    encoding: Encoding,
    refused: &'w mut Vec<DeadLetter>,
    source: PhantomData<fn() -> S>,
}

type RowOf<'a, S> = <<S as Source>::Row as Row>::Value<'a>;

impl<S: Source> Insert<'_, S> {
    /// Inserts `rows`; when ClickHouse refuses them for their data, splits
    /// them to find the refused rows, which become dead letters.
    fn isolating(&mut self, rows: &[RowOf<'_, S>]) -> Result<(), PipelineError> {
        let error = match self.retrying(rows) {
            Ok(()) => return Ok(()),
            Err(Failure::Stopped(e)) => return Err(e),
            Err(Failure::Refused(error)) => error,
        };
        if !error.is_about_the_data() {
            self.io.env.health.set_clickhouse(false);
            return Err(error.into());
        }
        if let [row] = rows {
            tracing::warn!(table = S::TABLE, %error, "ClickHouse refused a row; it goes to the dead-letter topic");
            self.refused.push(DeadLetter {
                origin: Origin::Sink {
                    sink: "clickhouse",
                    table: S::TABLE,
                },
                key: None,
                payload: serde_json::to_vec(row).expect("rows serialize"),
                reason: crate::dead_letters::SINK_REJECTED,
                detail: error.to_string(),
                withheld: None,
            });
            return Ok(());
        }
        let (first, second) = rows.split_at(rows.len() / 2);
        self.isolating(first)?;
        self.isolating(second)
    }

    /// Inserts `rows`, retrying with backoff while ClickHouse is away.
    fn retrying(&mut self, rows: &[RowOf<'_, S>]) -> Result<(), Failure> {
        let table = S::TABLE;
        let env = &self.io.env;
        let mut backoff = FIRST_BACKOFF;
        let mut paused_since: Option<Instant> = None;
        loop {
            let started = Instant::now();
            match self.attempt(rows) {
                Ok(()) => {
                    env.metrics
                        .sink_write("clickhouse", table, started.elapsed(), rows.len());
                    env.health.set_clickhouse(true);
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
                    env.metrics.sink_failure("clickhouse", table);
                    if !e.is_transient() {
                        return Err(Failure::Refused(e));
                    }
                    env.health.set_clickhouse(false);
                    if paused_since.is_none() {
                        tracing::warn!(error = %e, "ClickHouse is unavailable; consumption pauses, retrying with backoff");
                        paused_since = Some(Instant::now());
                    }
                }
            }
            if !env.shutdown.wait(backoff) {
                return Err(Failure::Stopped(PipelineError::Stopped(format!(
                    "shut down while ClickHouse was unreachable: {} rows for {table} were not written; their input offsets were not committed, so the next start writes them",
                    rows.len()
                ))));
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One insert, in the encoding the table's columns allow now.
    fn attempt(&mut self, rows: &[RowOf<'_, S>]) -> Result<(), ClickHouseError> {
        let clickhouse = &self.io.clickhouse;
        let (encoding, differ) = columns::encoding(S::TABLE, &clickhouse.columns(S::TABLE)?);
        if encoding != self.encoding {
            match encoding {
                Encoding::JsonEachRow => tracing::warn!(
                    table = S::TABLE,
                    columns = differ.join("; "),
                    "the table's columns differ from the schema; its rows go as JSONEachRow, and rows that no longer fit become dead letters"
                ),
                Encoding::RowBinary => {
                    tracing::info!(table = S::TABLE, "the table matches the schema again; rows go as RowBinary")
                }
            }
            self.encoding = encoding;
        }
        clickhouse.insert::<S::Row>(S::TABLE, rows, encoding)
    }
}

/// Why an insert did not happen.
enum Failure {
    /// ClickHouse refused, and retrying would not change that.
    Refused(ClickHouseError),
    /// Shutdown came while waiting for ClickHouse.
    Stopped(PipelineError),
}
