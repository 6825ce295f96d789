//! From a run of checks to firing and resolved events. An alert fires after
//! `for_windows` breached windows in a row and resolves after `for_windows`
//! healthy ones (or empty ones: `no_traffic`). Its id and timestamps come
//! from the windows, never from the clock, so a replay or a restart that
//! evaluates the same windows publishes the same events.

use serde::{Deserialize, Serialize};

use super::checks::Check;
use super::RuleId;
use crate::hash::murmur3_128;

/// Where one alert (a rule on one subject of one version) stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Phase {
    /// Breached in `streak` windows in a row, not yet firing.
    Pending {
        /// Breached windows in a row.
        streak: u32,
    },
    /// Firing since `started_at`.
    Firing(Firing),
}

/// A firing alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Firing {
    /// The id shared by its firing and resolved events.
    pub alert_id: String,
    /// End of the window that made it fire (ms since the epoch).
    pub started_at: i64,
    /// Healthy windows in a row since.
    pub healthy: u32,
}

/// A change of state that becomes an `AlertEvent`.
#[derive(Clone, Debug, PartialEq)]
pub enum Transition {
    /// The alert starts firing.
    Fired(Firing),
    /// The alert resolved because the condition stopped holding.
    Recovered(Firing),
}

/// The next phase after `check` (`None` when the rule could not be measured
/// in this window: a pending streak ends, a firing alert holds).
pub fn step(
    phase: Option<Phase>,
    check: Option<&Check>,
    id: &AlertIdentity<'_>,
    window_end: i64,
    for_windows: u32,
) -> (Option<Phase>, Option<Transition>) {
    match (phase, check) {
        (Some(Phase::Firing(firing)), None) => (Some(Phase::Firing(firing)), None),
        (Some(Phase::Firing(mut firing)), Some(check)) => {
            firing.healthy = if check.breached {
                0
            } else {
                firing.healthy + 1
            };
            if firing.healthy >= for_windows {
                (None, Some(Transition::Recovered(firing)))
            } else {
                (Some(Phase::Firing(firing)), None)
            }
        }
        (phase, Some(check)) if check.breached => {
            let streak = match phase {
                Some(Phase::Pending { streak }) => streak + 1,
                _ => 1,
            };
            if streak >= for_windows {
                let firing = Firing {
                    alert_id: id.alert_id(window_end),
                    started_at: window_end,
                    healthy: 0,
                };
                (
                    Some(Phase::Firing(firing.clone())),
                    Some(Transition::Fired(firing)),
                )
            } else {
                (Some(Phase::Pending { streak }), None)
            }
        }
        (_, _) => (None, None),
    }
}

/// What names one alert besides the moment it fired.
pub struct AlertIdentity<'a> {
    /// The rule.
    pub rule: RuleId,
    /// Registered model name.
    pub model: &'a str,
    /// Model version.
    pub version: &'a str,
    /// Deployment environment.
    pub environment: &'a str,
    /// Feature, error type or empty.
    pub subject: &'a str,
}

impl AlertIdentity<'_> {
    /// The alert's id: a hash of who it is about and when it fired, 32 hex
    /// digits; the same windows always give the same id.
    pub fn alert_id(&self, started_at: i64) -> String {
        let text = format!(
            "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{started_at}",
            self.rule.name(),
            self.model,
            self.version,
            self.environment,
            self.subject
        );
        format!("{:032x}", murmur3_128(text.as_bytes()))
    }
}
