//! Logs for an operator at 3 a.m.: `tracing` events with a level, a UTC
//! timestamp and the context of the span they happen in (stage, group,
//! partition), as text or as one JSON object per line. librdkafka's own log
//! lines (broker, authentication and protocol errors) arrive through
//! rdkafka's `tracing` feature and are filtered like ours.

use tracing_subscriber::EnvFilter;

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, with the span fields as `spans`.
    Json,
}

/// The filter when `MLOBS_LOG` is not set: mlobs at info, librdkafka's
/// warnings and errors.
const DEFAULT_FILTER: &str = "info";

/// Installs the global subscriber. `MLOBS_LOG` filters in `RUST_LOG`
/// syntax (`info`, `mlobs_pipeline=debug,rdkafka=warn`); a filter that does
/// not parse is reported and the default used.
pub fn init(format: LogFormat) {
    let (filter, bad) = match std::env::var("MLOBS_LOG") {
        Ok(spec) => match EnvFilter::try_new(&spec) {
            Ok(filter) => (filter, None),
            Err(e) => (EnvFilter::new(DEFAULT_FILTER), Some((spec, e))),
        },
        Err(_) => (EnvFilter::new(DEFAULT_FILTER), None),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    let installed = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if installed.is_ok() {
        if let Some((spec, error)) = bad {
            tracing::warn!(%spec, %error, "MLOBS_LOG does not parse; logging at info");
        }
    }
}
