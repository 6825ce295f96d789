//! The history rows a report is made of, as plain values: what
//! [`crate::history`] reads from ClickHouse and the pure modules turn into
//! charts and tables. Times are Unix milliseconds, UTC.

/// One evaluation window of one version (`window_metrics`, environments
/// added up).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowRow {
    /// The version.
    pub version: String,
    /// Window start.
    pub start_ms: i64,
    /// Window end.
    pub end_ms: i64,
    /// Predictions in the window.
    pub predictions: u64,
    /// Of which with a label.
    pub labeled: u64,
    /// Of which right.
    pub correct: u64,
    /// Latency percentiles in ms (the highest of the environments').
    pub latency_ms: [Option<f64>; 3],
    /// When the pipeline wrote the window (wall clock): places the agent's
    /// wall-clock events on the event-time axis, see [`crate::clock`].
    pub written_ms: i64,
}

/// Failed predictions of one error type in one window, every version's.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRow {
    /// Window start.
    pub start_ms: i64,
    /// The error type the model server reported.
    pub error_type: String,
    /// How many.
    pub count: u64,
}

/// One feature's drift in one window (`feature_drift`), the highest score
/// of the versions'.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftRow {
    /// The feature.
    pub feature: String,
    /// The statistic (wasserstein, ks, psi, ...).
    pub method: String,
    /// Window start.
    pub start_ms: i64,
    /// The statistic's value.
    pub score: f64,
    /// Its drift threshold.
    pub threshold: f64,
}

/// What happened: the markers on the charts and the rows of the page's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    /// A moment named on the command line (`mlobs report --mark`): a
    /// deploy, a known upstream change, a drift a demo injected.
    Marked,
    /// An alert started firing (`alerts.started_at`, event time).
    AlertFired,
    /// The agent named the cause of an incident (the proposal of its first
    /// action, `agent_actions.created_at`).
    Diagnosed,
    /// The agent carried out an action (`agent_actions`, status executed).
    ActionTaken,
    /// An incident was resolved (`incidents`, status resolved).
    IncidentResolved,
}

impl EventKind {
    /// The legend's words for it.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Marked => "marked",
            EventKind::AlertFired => "alert fired",
            EventKind::Diagnosed => "incident diagnosed",
            EventKind::ActionTaken => "action taken",
            EventKind::IncidentResolved => "incident resolved",
        }
    }
}

/// One alert, action or incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Which of the three.
    pub kind: EventKind,
    /// When, as recorded.
    pub at_ms: i64,
    /// True when `at_ms` is wall-clock time (the agent's tables), false
    /// when it is event time (alerts).
    pub wall_clock: bool,
    /// The version concerned ("" for all).
    pub version: String,
    /// A few words: the rule, the action and its target, the resolution.
    pub what: String,
    /// Everything else worth a line in the table.
    pub detail: String,
}
