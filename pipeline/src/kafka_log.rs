//! What librdkafka says, in our logs without flooding them: while a broker
//! is away every client reports the same error many times a second. Each
//! distinct message is logged at once, then at most every half minute with
//! the number of repeats in between.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

/// How often one message is repeated in the log.
const EVERY: Duration = Duration::from_secs(30);

/// When each message was last logged, and how often it came since.
static SEEN: LazyLock<Mutex<HashMap<String, (Instant, u64)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// `Some(repeats since the last time)` when `message` may be logged now.
pub fn may_log(message: &str) -> Option<u64> {
    let mut seen = SEEN.lock().expect("not poisoned");
    match seen.get_mut(message) {
        Some((at, repeats)) if at.elapsed() < EVERY => {
            *repeats += 1;
            None
        }
        Some((at, repeats)) => {
            *at = Instant::now();
            Some(std::mem::take(repeats))
        }
        None => {
            seen.insert(message.to_string(), (Instant::now(), 0));
            Some(0)
        }
    }
}

/// A client error (the broker is away, authentication failed...). The end
/// of a partition, which readers ask to be told about, is not one.
pub fn client_error(error: &KafkaError, reason: &str) {
    let end_of_partition = matches!(
        error,
        KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF)
    );
    if end_of_partition {
        return;
    }
    let message = format!("{error}: {reason}");
    if let Some(repeats) = may_log(&message) {
        tracing::warn!(target: "librdkafka", repeats, "{message}");
    }
}

/// One of librdkafka's own log lines.
pub fn client_log(level: RDKafkaLogLevel, facility: &str, message: &str) {
    let line = format!("{facility} {message}");
    let Some(repeats) = may_log(&line) else {
        return;
    };
    match level {
        RDKafkaLogLevel::Emerg
        | RDKafkaLogLevel::Alert
        | RDKafkaLogLevel::Critical
        | RDKafkaLogLevel::Error => tracing::error!(target: "librdkafka", repeats, "{line}"),
        RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", repeats, "{line}"),
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
            tracing::info!(target: "librdkafka", repeats, "{line}")
        }
        RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", repeats, "{line}"),
    }
}

/// The context of every client that needs no other: its errors and log
/// lines go through [`client_error`] and [`client_log`].
#[derive(Clone, Copy, Default)]
pub struct Quiet;

impl ClientContext for Quiet {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        client_log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        client_error(&error, reason);
    }
}

impl ConsumerContext for Quiet {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_message_is_logged_once_then_counted() {
        let message = "a message only this test uses";
        assert_eq!(may_log(message), Some(0));
        assert_eq!(may_log(message), None);
        assert_eq!(may_log(message), None);
        assert_eq!(may_log("another message of this test"), Some(0));
    }
}
