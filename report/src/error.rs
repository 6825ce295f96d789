//! What can go wrong making a report, each saying what to do about it.

use mlobs_pipeline::sinks::clickhouse::ClickHouseError;
use mlobs_schemas::time::format_rfc3339;

/// A report that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// `--since` is not before `--until`.
    #[error(
        "--since {since} is not before --until {until}; give a range that starts before it ends"
    )]
    EmptyRange {
        /// RFC 3339.
        since: String,
        /// RFC 3339.
        until: String,
    },
    /// No window of that model at all.
    #[error(
        "model {model:?} has no evaluation windows in ClickHouse; known models: {}",
        list(known)
    )]
    UnknownModel {
        /// As given.
        model: String,
        /// Models that have windows.
        known: Vec<String>,
    },
    /// The model has windows, none in the range.
    #[error(
        "model {model:?} has no evaluation windows from {} to {}; its windows start from {} to {}: \
         pick --since/--until within those",
        format_rfc3339(*since_ms), format_rfc3339(*until_ms), format_rfc3339(*first_ms), format_rfc3339(*last_ms)
    )]
    NoWindows {
        /// As given.
        model: String,
        /// The range asked for.
        since_ms: i64,
        /// The range asked for.
        until_ms: i64,
        /// The model's first window start.
        first_ms: i64,
        /// The model's last window start.
        last_ms: i64,
    },
    /// The font to write text with is not there.
    #[error("cannot read the font {path} ({detail}); install the Debian package fonts-dejavu-core (apt-get install fonts-dejavu-core)")]
    Font {
        /// The font file.
        path: String,
        /// Why.
        detail: String,
    },
    /// The output folder cannot be made or written.
    #[error(
        "cannot write the report to {path} ({detail}); give an --output folder you can write to"
    )]
    Output {
        /// The file or folder.
        path: String,
        /// Why.
        detail: String,
    },
    /// Drawing failed (a bug rather than bad input).
    #[error("drawing {chart} failed: {detail}")]
    Draw {
        /// The chart's file name.
        chart: String,
        /// Why.
        detail: String,
    },
    /// ClickHouse could not be asked.
    #[error(transparent)]
    ClickHouse(#[from] ClickHouseError),
}

impl ReportError {
    /// True for errors in what the user gave (exit code 2 in the CLI).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ReportError::EmptyRange { .. }
                | ReportError::UnknownModel { .. }
                | ReportError::NoWindows { .. }
                | ReportError::Output { .. }
                | ReportError::Font { .. }
        )
    }
}

fn list(known: &[String]) -> String {
    if known.is_empty() {
        "none yet (run the pipeline with clickhouse.url set)".into()
    } else {
        known.join(", ")
    }
}
