//! What librdkafka says, in our logs without flooding them: while a broker
//! is away every client reports the same error many times a second. Each
//! distinct message is logged at once, then at most every half minute with
//! the number of repeats in between.

use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

/// How often one message is repeated in the log.
const EVERY: Duration = Duration::from_secs(30);

/// How long a TLS or SASL failure explains the failures that follow it.
const SECURITY_RECENT: Duration = Duration::from_secs(120);

/// The last TLS or SASL failure librdkafka reported, and when. Waiting does
/// not cure those (a TLS client at a plain port, a wrong password), yet
/// the operation that gives up reports only a timeout or "transport
/// failure"; its error names this instead (see [`security_failure`]).
static SECURITY: Mutex<Option<(Instant, String)>> = Mutex::new(None);

/// What to add to a failed Kafka operation's error when the cluster is
/// reached through TLS or SASL (`security.protocol` in `librdkafka`, the
/// `[kafka.librdkafka]` settings): such failures surface as timeouts or
/// transport failures, and a setting is the likely cause. Names the
/// setting librdkafka's last TLS or SASL failure points at, with what it
/// said, when its log got that far.
pub fn security_hint(librdkafka: &BTreeMap<String, String>) -> Option<String> {
    let protocol = librdkafka.get("security.protocol")?;
    if protocol.eq_ignore_ascii_case("plaintext") {
        return None;
    }
    let said = security_failure();
    let culprit = match said.as_deref() {
        Some(text) if text.contains("SASL authentication") || text.contains("credentials") => {
            "the broker refused the credentials: check kafka.librdkafka sasl.username and sasl.password (MLOBS_LIBRDKAFKA_SASL_PASSWORD) and sasl.mechanism".to_string()
        }
        Some(text) if text.contains("certificate verify failed") => {
            "the broker's certificate is not trusted: set kafka.librdkafka ssl.ca.location to the CA that signed it".to_string()
        }
        _ => format!(
            "kafka.librdkafka security.protocol is {protocol}: a broker port that does not speak it (TLS to a plain port), an untrusted certificate (ssl.ca.location) or refused credentials (sasl.username, sasl.password) fail like this"
        ),
    };
    let said = said
        .map(|failure| format!("; librdkafka said: {failure}"))
        .unwrap_or_default();
    Some(format!("{culprit}{said}"))
}

/// The TLS or SASL failure librdkafka reported in the last two minutes,
/// if any: what a failed Kafka operation most likely failed of.
pub fn security_failure() -> Option<String> {
    let last = SECURITY.lock().expect("not poisoned");
    last.as_ref()
        .filter(|(at, _)| at.elapsed() < SECURITY_RECENT)
        .map(|(_, what)| what.clone())
}

/// Keeps `what` when it is about TLS or SASL.
fn note_security(what: &str, code: Option<RDKafkaErrorCode>) {
    let by_code = matches!(
        code,
        Some(
            RDKafkaErrorCode::SSL
                | RDKafkaErrorCode::Authentication
                | RDKafkaErrorCode::SaslAuthenticationFailed
        )
    );
    if by_code
        || ["SSL", "SASL", "certificate"]
            .iter()
            .any(|w| what.contains(w))
    {
        *SECURITY.lock().expect("not poisoned") = Some((Instant::now(), what.to_string()));
    }
}

/// True for a failure that waiting does not cure: authorization refused, a
/// fatal client error, or a TLS or SASL failure librdkafka reported moments
/// ago (the request itself then only times out). librdkafka recovers from
/// the rest by itself (a broker that went away, a partition whose leader
/// moves), and a consumer's poll reports those only to inform.
pub fn fails_for_good(error: &KafkaError) -> bool {
    if matches!(error, KafkaError::MessageConsumptionFatal(_)) {
        return true;
    }
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::GroupAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed
                | RDKafkaErrorCode::SaslAuthenticationFailed
                | RDKafkaErrorCode::Authentication
                | RDKafkaErrorCode::SSL
                | RDKafkaErrorCode::Fatal
        )
    ) || security_failure().is_some()
}

/// What a reader does with an error its poll returned: the error back when
/// the read cannot go on ([`fails_for_good`]), else nothing (it is logged,
/// and the read waits for librdkafka to recover, within its own deadline).
pub fn poll_error(error: KafkaError, reading: &str) -> Option<KafkaError> {
    if fails_for_good(&error) {
        return Some(error);
    }
    client_error(&error, &format!("{reading}; waiting for the cluster"));
    None
}

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
    note_security(&message, error.rdkafka_error_code());
    if let Some(repeats) = may_log(&message) {
        tracing::warn!(target: "librdkafka", repeats, "{message}");
    }
}

/// One of librdkafka's own log lines.
pub fn client_log(level: RDKafkaLogLevel, facility: &str, message: &str) {
    let line = format!("{facility} {message}");
    if matches!(
        level,
        RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error
            | RDKafkaLogLevel::Warning
    ) {
        note_security(message, None);
    }
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

    #[test]
    fn a_tls_failure_is_kept_for_the_errors_that_follow() {
        client_log(
            RDKafkaLogLevel::Warning,
            "FAIL",
            "ssl://127.0.0.1:9092/bootstrap: Connection setup timed out in state SSL_HANDSHAKE",
        );
        let kept = security_failure().unwrap();
        assert!(kept.contains("SSL_HANDSHAKE"), "{kept}");
        client_log(RDKafkaLogLevel::Warning, "FAIL", "Connection refused");
        assert!(security_failure().unwrap().contains("SSL_HANDSHAKE"));
        let mut settings = BTreeMap::new();
        assert_eq!(security_hint(&settings), None);
        settings.insert("security.protocol".to_string(), "SASL_SSL".to_string());
        let hint = security_hint(&settings).unwrap();
        assert!(
            hint.starts_with("kafka.librdkafka security.protocol is SASL_SSL"),
            "{hint}"
        );
        assert!(hint.contains("SSL_HANDSHAKE"), "{hint}");
        // The setting to fix, when librdkafka said which failure it was.
        for (said, setting) in [
            ("SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512", "sasl.password"),
            ("SSL handshake failed: error:0A000086:SSL routines::certificate verify failed", "ssl.ca.location"),
        ] {
            client_log(RDKafkaLogLevel::Error, "FAIL", said);
            let hint = security_hint(&settings).unwrap();
            assert!(hint.contains(setting), "{hint}");
        }
        settings.insert("security.protocol".to_string(), "plaintext".to_string());
        assert_eq!(security_hint(&settings), None);
    }
}
