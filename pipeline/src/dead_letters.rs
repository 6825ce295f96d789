//! Records the pipeline could not use, on their way to the dead-letter
//! topic: the original key and value (or, for a row ClickHouse refused, the
//! row), with the reason and the origin in headers, so that nothing is lost
//! silently and a user can see why.

use rdkafka::message::{Header, OwnedHeaders};

use crate::config::Topics;
use crate::outbox::{Outbox, Outgoing};
use crate::stage1::worker::Input;
use crate::PipelineError;

/// Where a dead letter came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A record of an input topic.
    Input {
        /// Which input.
        input: Input,
        /// Its partition.
        partition: i32,
        /// Its offset.
        offset: i64,
    },
    /// A row a sink refused.
    Sink {
        /// The sink (`clickhouse`).
        sink: &'static str,
        /// The table.
        table: &'static str,
    },
}

/// The reason of a row ClickHouse refused (the rest of its batch written).
pub const SINK_REJECTED: &str = "sink_rejected";

/// The reason of an event stamped further ahead of the clock than
/// `windows.max_future_ms` allows.
pub const FUTURE_EVENT_TIME: &str = "future_event_time";

/// Every reason a record goes to the dead-letter topic with: undecodable,
/// invalid, too far in the future, or refused by the history.
pub fn reasons() -> impl Iterator<Item = &'static str> {
    mlobs_schemas::DecodeError::REASONS
        .into_iter()
        .chain(mlobs_operators::validate::REASONS)
        .chain([FUTURE_EVENT_TIME, SINK_REJECTED])
}

/// A record for the dead-letter topic.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// Where it came from.
    pub origin: Origin,
    /// Its key, unchanged.
    pub key: Option<Vec<u8>>,
    /// Its value, unchanged (a refused row: the row as JSON).
    pub payload: Vec<u8>,
    /// Short stable reason (header `mlobs.reason`, metric label).
    pub reason: &'static str,
    /// What exactly was wrong (header `mlobs.error`).
    pub detail: String,
    /// Set when private features were taken out of the payload (header
    /// `mlobs.features_withheld`: `features` or `record`).
    pub withheld: Option<&'static str>,
}

/// What privacy takes out of a dead letter.
#[derive(Debug)]
pub enum Withheld {
    /// The event of a model in `hash` mode, re-encoded without its raw
    /// features.
    Features(Result<Vec<u8>, mlobs_schemas::EncodeError>),
    /// A record that could not be decoded while some model is in `hash`
    /// mode: whose it is (and so whether it is private) is unknown, so none
    /// of its value is kept; the reason and the source offset are.
    Record,
}

impl DeadLetter {
    /// This letter with `withheld` applied to its payload.
    pub fn withholding(mut self, withheld: Option<Withheld>) -> Self {
        match withheld {
            None => {}
            Some(Withheld::Features(Ok(payload))) => {
                self.payload = payload;
                self.withheld = Some("features");
            }
            Some(Withheld::Features(Err(_)) | Withheld::Record) => {
                self.payload = Vec::new();
                self.withheld = Some("record");
            }
        }
        self
    }
}

/// Queues `letter` for the dead-letter topic.
pub fn send(
    outbox: &mut Outbox,
    topics: &Topics,
    letter: &DeadLetter,
) -> Result<(), PipelineError> {
    let mut headers = vec![
        ("mlobs.reason", letter.reason.to_string()),
        ("mlobs.error", letter.detail.clone()),
    ];
    if let Some(withheld) = letter.withheld {
        headers.push(("mlobs.features_withheld", withheld.to_string()));
    }
    match &letter.origin {
        Origin::Input {
            input,
            partition,
            offset,
        } => headers.extend([
            ("mlobs.source.topic", input.topic(topics).to_string()),
            ("mlobs.source.partition", partition.to_string()),
            ("mlobs.source.offset", offset.to_string()),
        ]),
        Origin::Sink { sink, table } => headers.extend([
            ("mlobs.sink", sink.to_string()),
            ("mlobs.sink.table", table.to_string()),
        ]),
    }
    let headers = headers
        .iter()
        .fold(OwnedHeaders::new(), |all, (key, value)| {
            all.insert(Header {
                key,
                value: Some(value),
            })
        });
    outbox.send(Outgoing {
        topic: &topics.dlq,
        partition: None,
        key: letter.key.as_deref().unwrap_or_default(),
        payload: &letter.payload,
        headers: Some(headers),
        timestamp: None,
    })
}
