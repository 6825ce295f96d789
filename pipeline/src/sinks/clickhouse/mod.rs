//! The ClickHouse history: a small client for the HTTP interface, the schema
//! and its migration, the row shapes of each table, and a buffered writer
//! that retries until ClickHouse takes the rows.
//!
//! Rows travel as JSONEachRow: readable, portable between ClickHouse 18.16
//! and current releases, and (measured in `make bench`) fast enough that the
//! broker, not the insert, limits the pipeline. Times go as Unix seconds
//! (`DateTime`, UTC) next to an `Int64` in milliseconds.

pub mod migrate;
pub mod rows;
pub mod writer;

use std::time::Duration;

use crate::config::ClickHouseConfig;

/// Errors talking to ClickHouse, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum ClickHouseError {
    /// ClickHouse could not be reached, or the connection broke.
    #[error("ClickHouse at {url} is unreachable while {action}: {detail}; is it running (make up) and is clickhouse.url right?")]
    Unreachable {
        url: String,
        action: String,
        detail: String,
    },
    /// ClickHouse answered with an error.
    #[error("ClickHouse refused {action} (HTTP {status}): {message}")]
    Refused {
        action: String,
        status: u16,
        message: String,
    },
}

impl ClickHouseError {
    /// True when trying again later may succeed (ClickHouse down, starting,
    /// or overloaded); false for what it will always refuse, which is a bug
    /// or a changed schema, and stops the pipeline with this error.
    pub fn is_transient(&self) -> bool {
        const OVERLOAD: [&str; 4] = ["Too many parts", "Memory limit", "Timeout", "TIMEOUT"];
        match self {
            ClickHouseError::Unreachable { .. } => true,
            ClickHouseError::Refused {
                status, message, ..
            } => matches!(status, 502..=504) || OVERLOAD.iter().any(|m| message.contains(m)),
        }
    }
}

impl ClickHouseError {
    /// ClickHouse's error code (`Code: 27` in its messages), if it gave one.
    pub fn code(&self) -> Option<u32> {
        let ClickHouseError::Refused { message, .. } = self else {
            return None;
        };
        let digits = message.split("Code: ").nth(1)?;
        let end = digits.find(|c: char| !c.is_ascii_digit())?;
        digits[..end].parse().ok()
    }

    /// True when ClickHouse refused because of values in the rows (they
    /// cannot be parsed, or a column cannot hold them): other rows of the
    /// same batch would be taken.
    pub fn is_about_the_data(&self) -> bool {
        // CANNOT_PARSE_TEXT, CANNOT_PARSE_QUOTED_STRING, CANNOT_PARSE_INPUT_
        // ASSERTION_FAILED, ATTEMPT_TO_READ_AFTER_EOF, CANNOT_PARSE_DATE,
        // CANNOT_PARSE_DATETIME, TYPE_MISMATCH, ARGUMENT_OUT_OF_BOUND,
        // CANNOT_CONVERT_TYPE, CANNOT_PARSE_NUMBER, INCORRECT_DATA,
        // TOO_LARGE_STRING_SIZE, VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE,
        // CANNOT_PARSE_BOOL, DECIMAL_OVERFLOW.
        const DATA: [u32; 15] = [
            6, 26, 27, 32, 38, 41, 53, 69, 70, 72, 117, 131, 321, 467, 407,
        ];
        self.code().is_some_and(|code| DATA.contains(&code))
    }
}

/// A connection to ClickHouse's HTTP interface.
#[derive(Clone)]
pub struct ClickHouse {
    agent: ureq::Agent,
    url: String,
    database: String,
    user: String,
    password: String,
}

impl ClickHouse {
    /// A client for `config.url`, or `None` when the history is switched off
    /// (an empty URL).
    pub fn from_config(config: &ClickHouseConfig) -> Option<ClickHouse> {
        if config.url.is_empty() {
            return None;
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(2)))
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        Some(ClickHouse {
            agent,
            url: config.url.trim_end_matches('/').to_string(),
            database: config.database.clone(),
            user: config.user.clone(),
            password: config.password.clone(),
        })
    }

    /// Where this client points.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database holding mlobs' tables.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Runs one statement; returns what ClickHouse printed.
    pub fn execute(&self, sql: &str) -> Result<String, ClickHouseError> {
        self.post(None, sql.as_bytes(), "running a statement")
    }

    /// Inserts `rows` (JSONEachRow lines) into `table` of mlobs' database.
    pub fn insert(&self, table: &str, rows: &[u8]) -> Result<(), ClickHouseError> {
        let query = format!("INSERT INTO {}.{table} FORMAT JSONEachRow", self.database);
        self.post(Some(&query), rows, &format!("inserting into {table}"))
            .map(|_| ())
    }

    /// True when ClickHouse answers its ping.
    pub fn ping(&self) -> bool {
        self.agent
            .get(format!("{}/ping", self.url))
            .call()
            .is_ok_and(|r| r.status().is_success())
    }

    fn post(
        &self,
        query: Option<&str>,
        body: &[u8],
        action: &str,
    ) -> Result<String, ClickHouseError> {
        let mut request = self
            .agent
            .post(format!("{}/", self.url))
            .header("X-ClickHouse-User", &self.user)
            .header("X-ClickHouse-Key", &self.password);
        if let Some(query) = query {
            request = request.query("query", query);
        }
        let unreachable = |detail: String| ClickHouseError::Unreachable {
            url: self.url.clone(),
            action: action.to_string(),
            detail,
        };
        let mut response = request.send(body).map_err(|e| unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| unreachable(e.to_string()))?;
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(ClickHouseError::Refused {
                action: action.to_string(),
                status,
                message: text.trim().to_string(),
            })
        }
    }
}
