//! `mlobs report`: pictures of a model's history without Grafana. Charts
//! (PNG 1200 px wide and SVG) of accuracy per version with the SLO, traffic
//! share, drift per feature with thresholds, latency percentiles and errors
//! by type, with markers where alerts fired, actions were taken and
//! incidents were resolved; and report.html showing them with a table of
//! those events. Everything comes from the ClickHouse history, so a report
//! can be made long after the fact.
//!
//! I/O stays at the edges ([`history`] reads, [`draw`] and [`write`]
//! write); what the report says is decided by pure functions ([`series`],
//! [`markers`], [`clock`], [`chart`], [`html`]), tested without services.
//! See docs/architecture.md, "Reports".

pub mod chart;
pub mod clock;
pub mod draw;
mod error;
pub mod font;
pub mod history;
pub mod html;
pub mod markers;
pub mod rows;
pub mod series;
pub mod summary;

use std::path::{Path, PathBuf};

use mlobs_operators::alerts::AlertThresholds;
use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_schemas::time::format_rfc3339;

pub use error::ReportError;

/// What to report on.
#[derive(Debug, Clone)]
pub struct Request {
    /// The model.
    pub model: String,
    /// Windows starting at or after this (ms).
    pub since_ms: i64,
    /// Windows starting before this (ms).
    pub until_ms: i64,
    /// The model's alert thresholds: the SLO lines.
    pub thresholds: AlertThresholds,
    /// Moments to mark beside the history's own events: (event time ms,
    /// words).
    pub marks: Vec<(i64, String)>,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// report.html.
    pub page: PathBuf,
    /// Every chart file (PNG and SVG).
    pub charts: Vec<PathBuf>,
    /// Windows read (one per version and window).
    pub windows: usize,
    /// Alerts, actions and incidents in the range.
    pub events: usize,
}

/// Reads the history of `request` and writes the report into `dir`
/// (created when missing).
pub fn write(
    clickhouse: &ClickHouse,
    request: &Request,
    dir: &Path,
) -> Result<Written, ReportError> {
    if request.since_ms >= request.until_ms {
        return Err(ReportError::EmptyRange {
            since: format_rfc3339(request.since_ms),
            until: format_rfc3339(request.until_ms),
        });
    }
    font::load()?;
    let scope = history::Scope {
        database: clickhouse.database().to_string(),
        model: request.model.clone(),
        since_ms: request.since_ms,
        until_ms: request.until_ms,
    };
    let mut history = history::read(clickhouse, &scope)?;
    history
        .events
        .extend(request.marks.iter().map(|(at_ms, what)| rows::Event {
            kind: rows::EventKind::Marked,
            at_ms: *at_ms,
            wall_clock: false,
            version: String::new(),
            what: what.clone(),
            detail: "marked with --mark".into(),
        }));
    let output = |path: &Path, e: std::io::Error| ReportError::Output {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| output(dir, e))?;

    // The axis spans the windows read (never empty: `read` fails then).
    let starts = || history.windows.iter().map(|w| w.start_ms);
    let first = starts().min().unwrap_or(request.since_ms);
    let last_start = starts().max().unwrap_or(first);
    let ends = history.windows.iter().map(|w| w.end_ms);
    let last_end = ends.max().unwrap_or(request.until_ms);
    let axis = chart::TimeAxis::new(first, last_end);
    let clock = clock::Clock::of(&history.windows);
    let placed = markers::place(&history.events, &clock, request.since_ms, request.until_ms);
    let marks = markers::markers(&placed);
    let charts = series::charts(&history, &request.thresholds, &axis);
    let mut files = Vec::new();
    for chart in &charts {
        files.extend(draw::write(chart, &axis, &marks, dir)?);
    }
    let versions = series::versions(&history.windows);
    let page = html::page(
        &html::Page {
            model: &request.model,
            since_ms: request.since_ms,
            until_ms: request.until_ms,
            data_ms: (first, last_start),
            versions: &versions,
            replayed: clock.is_replayed(),
        },
        &summary::summarize(&history.windows),
        &charts,
        &placed,
    );
    let page_path = dir.join("report.html");
    std::fs::write(&page_path, page).map_err(|e| output(&page_path, e))?;
    Ok(Written {
        page: page_path,
        charts: files,
        windows: history.windows.len(),
        events: placed.len(),
    })
}
