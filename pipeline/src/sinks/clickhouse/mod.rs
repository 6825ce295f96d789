//! The ClickHouse history: a client for the HTTP(S) interface (the
//! `clickhouse` crate), the schema and its migration, the row shapes of
//! each table, and a buffered writer that retries until ClickHouse takes
//! the rows.
//!
//! Rows travel as RowBinary, typed by the schema (2-3 times the rate of the
//! JSONEachRow this replaced, measured in `make bench`), unless a table's
//! columns were changed by hand (`columns.rs`). Times are `DateTime` (UTC
//! Unix seconds) next to an `Int64` in milliseconds. HTTPS is chosen by an
//! `https://` URL and goes through rustls (`tls.rs`). Compression is off
//! unless `clickhouse.compression` asks for it: the HTTP compression of
//! the Debian build of ClickHouse 18.16 is broken (see the setting).
//!
//! The stages are threads, not async tasks; this client owns a small tokio
//! runtime (one I/O thread) and blocks on it, so callers stay synchronous.

pub mod action_row;
pub mod alert_rows;
pub mod audit;
pub mod columns;
mod error;
pub mod migrate;
pub mod query;
pub mod rows;
mod tls;
pub mod writer;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use clickhouse::{Client, Compression, Row, RowWrite};

use crate::config::{ClickHouseCompression, ClickHouseConfig};
use columns::Encoding;
pub use error::ClickHouseError;

/// Longest wait for one request (an insert of a full batch included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for the health check's ping.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// A connection pool to ClickHouse's HTTP interface; clones share it.
#[derive(Clone)]
pub struct ClickHouse {
    client: Client,
    runtime: Arc<tokio::runtime::Runtime>,
    config: Arc<ClickHouseConfig>,
}

impl ClickHouse {
    /// A client for `config.url`, or `None` when the history is switched off
    /// (an empty URL). Fails when `clickhouse.ca_file` cannot be used.
    pub fn from_config(config: &ClickHouseConfig) -> Result<Option<ClickHouse>, ClickHouseError> {
        if config.url.is_empty() {
            return Ok(None);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("clickhouse-io")
            .enable_all()
            .build()
            .map_err(|e| ClickHouseError::Unreachable {
                url: config.url.clone(),
                action: "starting its I/O thread".into(),
                detail: e.to_string(),
            })?;
        let compression = match config.compression {
            ClickHouseCompression::None => Compression::None,
            ClickHouseCompression::Lz4 => Compression::Lz4,
        };
        let mut config = config.clone();
        config.url = config.url.trim_end_matches('/').to_string();
        let client = tls::client(&config)?
            .with_url(&config.url)
            .with_user(&config.user)
            .with_password(&config.password)
            .with_compression(compression)
            // Validation needs RowBinaryWithNamesAndTypes, which 18.16
            // lacks; columns.rs checks the table instead.
            .with_validation(false);
        Ok(Some(ClickHouse {
            client,
            runtime: Arc::new(runtime),
            config: Arc::new(config),
        }))
    }

    /// Where this client points.
    pub fn url(&self) -> &str {
        &self.config.url
    }

    /// The database holding mlobs' tables.
    pub fn database(&self) -> &str {
        &self.config.database
    }

    /// Runs one statement (DDL, ALTER, DROP: anything without rows).
    pub fn execute(&self, sql: &str) -> Result<(), ClickHouseError> {
        let query = self.client.query_raw(sql);
        self.run("running a statement", REQUEST_TIMEOUT, query.execute())
    }

    /// The single number a query such as `SELECT count() ...` returns.
    pub fn count(&self, sql: &str) -> Result<u64, ClickHouseError> {
        let query = self.client.query_raw(sql);
        self.run("counting", REQUEST_TIMEOUT, query.fetch_one::<u64>())
    }

    /// What a query prints as TabSeparated (reading back, for people and
    /// tests).
    pub fn tab_separated(&self, sql: &str) -> Result<String, ClickHouseError> {
        let query = self.client.query_raw(sql);
        let work = async move {
            let bytes = query.fetch_bytes("TabSeparated")?.collect().await?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        };
        self.run("querying", REQUEST_TIMEOUT, work)
    }

    /// The rows a query returns, one JSON object each (JSONEachRow; 18.16
    /// quotes 64-bit integers): for readers that want named columns
    /// without a Row type per query, such as the agent's tools.
    pub fn json_rows(&self, sql: &str) -> Result<Vec<serde_json::Value>, ClickHouseError> {
        let query = self.client.query_raw(sql);
        let work = async move {
            let bytes = query.fetch_bytes("JSONEachRow")?.collect().await?;
            String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| {
                    serde_json::from_str(line)
                        .map_err(|e| clickhouse::error::Error::Custom(e.to_string()))
                })
                .collect()
        };
        self.run("querying", REQUEST_TIMEOUT, work)
    }

    /// True when ClickHouse answers a query with these credentials.
    pub fn ping(&self) -> bool {
        let query = self.client.query_raw("SELECT 1");
        self.run("pinging", PING_TIMEOUT, query.execute()).is_ok()
    }

    /// The columns (name, type) `table` of mlobs' database has now.
    pub fn columns(&self, table: &str) -> Result<Vec<(String, String)>, ClickHouseError> {
        let sql = format!(
            "SELECT name, type FROM system.columns WHERE database = '{}' AND table = '{table}'",
            self.config.database
        );
        let query = self.client.query_raw(&sql);
        self.run(
            &format!("reading the columns of {table}"),
            REQUEST_TIMEOUT,
            query.fetch_all::<(String, String)>(),
        )
    }

    /// Inserts `rows` into `table` of mlobs' database, as `encoding` says;
    /// returns once ClickHouse acknowledged them.
    pub fn insert<R: RowWrite>(
        &self,
        table: &str,
        rows: &[<R as Row>::Value<'_>],
        encoding: Encoding,
    ) -> Result<(), ClickHouseError> {
        // The database is a checked identifier, the table one of ours.
        let qualified = format!("{}.{table}", self.config.database);
        let client = &self.client;
        let work = async move {
            match encoding {
                Encoding::RowBinary => {
                    let mut insert = client.insert_unescaped::<R>(&qualified).await?;
                    for row in rows {
                        insert.write(row).await?;
                    }
                    insert.end().await
                }
                Encoding::JsonEachRow => {
                    let mut body = Vec::new();
                    for row in rows {
                        serde_json::to_writer(&mut body, row)
                            .map_err(|e| clickhouse::error::Error::Custom(e.to_string()))?;
                        body.push(b'\n');
                    }
                    let sql = format!("INSERT INTO {qualified} FORMAT JSONEachRow");
                    let mut insert = client.insert_formatted_with(sql).buffered();
                    insert.write(&body).await?;
                    insert.end().await
                }
            }
        };
        self.run(&format!("inserting into {table}"), REQUEST_TIMEOUT, work)
    }

    /// Runs `work` on the client's runtime within `limit`, with its error
    /// named in terms of the settings.
    fn run<T>(
        &self,
        action: &str,
        limit: Duration,
        work: impl Future<Output = clickhouse::error::Result<T>>,
    ) -> Result<T, ClickHouseError> {
        let unreachable = |detail: String| ClickHouseError::Unreachable {
            url: self.config.url.clone(),
            action: action.to_string(),
            detail,
        };
        match self
            .runtime
            .block_on(async { tokio::time::timeout(limit, work).await })
        {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.error(action, e)),
            Err(_) => Err(unreachable(format!("no answer within {limit:?}"))),
        }
    }

    /// What a failure of the crate means here.
    fn error(&self, action: &str, error: clickhouse::error::Error) -> ClickHouseError {
        use clickhouse::error::Error;
        match error {
            Error::BadResponse(message) if error::is_authentication(&message) => {
                ClickHouseError::Authentication {
                    user: self.config.user.clone(),
                    url: self.config.url.clone(),
                    message: first_sentence(&message),
                }
            }
            Error::BadResponse(message) => ClickHouseError::Refused {
                action: action.to_string(),
                message,
            },
            Error::Network(cause) => {
                tls::tls_failure(cause.as_ref(), &self.config).unwrap_or_else(|| {
                    ClickHouseError::Unreachable {
                        url: self.config.url.clone(),
                        action: action.to_string(),
                        detail: chain(cause.as_ref()),
                    }
                })
            }
            Error::TimedOut => ClickHouseError::Unreachable {
                url: self.config.url.clone(),
                action: action.to_string(),
                detail: "timed out".into(),
            },
            other => ClickHouseError::Refused {
                action: action.to_string(),
                message: other.to_string(),
            },
        }
    }
}

/// An error and its causes on one line.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = cause.source();
    }
    text
}

/// ClickHouse's message up to `, e.what()` (18.16 repeats the class name).
fn first_sentence(message: &str) -> String {
    message
        .split(", e.what()")
        .next()
        .unwrap_or(message)
        .trim()
        .to_string()
}
