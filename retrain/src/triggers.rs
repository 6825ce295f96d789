//! When a job starts on its own (seed section 6), per model: a window
//! below an accuracy threshold, drift on a critical feature, or a
//! schedule; and never within the cool-down of the last job, whatever
//! started it, so one incident starts one job and not ten. Pure: the
//! caller ([`crate::watch`]) reads the windows and keeps the clock.

use mlobs_pipeline::config::RetrainTriggers;
use mlobs_schemas::time::format_rfc3339;

/// What the history says about one complete window of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSeen {
    /// Window start, ms of event time.
    pub start_ms: i64,
    /// Accuracy over its labeled predictions (`None`: none labeled).
    pub accuracy: Option<f64>,
    /// Features that drifted in it.
    pub drifted: Vec<String>,
}

/// A job to start: why, and from where its production rows should reach
/// (the first window of the change, so that it learns the new world only).
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    /// In words, for the action's record.
    pub reason: String,
    /// `None`: the configured window.
    pub since_ms: Option<i64>,
    /// Which trigger: `accuracy`, `drift` or `schedule`.
    pub trigger: &'static str,
}

/// Whether the cool-down after a job that started at `last_job_ms` (wall
/// time) still holds at `now_ms`.
pub fn cooling_down(triggers: &RetrainTriggers, last_job_ms: Option<i64>, now_ms: i64) -> bool {
    last_job_ms.is_some_and(|last| now_ms - last < triggers.cooldown_ms as i64)
}

/// Which trigger, if any, calls for a job now (the caller checks
/// [`cooling_down`] before starting it). `windows` are the model's recent
/// complete windows, oldest first; `last_job_ms` is when the last job
/// started (wall time), `started_ms` when the watcher did (a schedule
/// counts from there before any job ran).
pub fn due(
    triggers: &RetrainTriggers,
    windows: &[WindowSeen],
    last_job_ms: Option<i64>,
    started_ms: i64,
    now_ms: i64,
) -> Option<Due> {
    let newest = windows.last();
    if let (Some(threshold), Some(newest)) = (triggers.accuracy_below, newest) {
        if newest.accuracy.is_some_and(|a| a < threshold) {
            let below = |w: &WindowSeen| w.accuracy.is_some_and(|a| a < threshold);
            let since = onset(windows, below).unwrap_or(newest.start_ms);
            return Some(Due {
                reason: format!(
                    "accuracy {:.1}% in the window from {} is below {:.1}% (since {})",
                    100.0 * newest.accuracy.unwrap_or_default(),
                    format_rfc3339(newest.start_ms),
                    100.0 * threshold,
                    format_rfc3339(since)
                ),
                since_ms: Some(since),
                trigger: "accuracy",
            });
        }
    }
    if let Some(newest) = newest {
        let critical = triggers
            .drift_on
            .iter()
            .find(|f| newest.drifted.contains(f));
        if let Some(feature) = critical {
            let since = onset(windows, |w| w.drifted.contains(feature)).unwrap_or(newest.start_ms);
            return Some(Due {
                reason: format!(
                    "critical feature {feature} drifted in the window from {} (since {})",
                    format_rfc3339(newest.start_ms),
                    format_rfc3339(since)
                ),
                since_ms: Some(since),
                trigger: "drift",
            });
        }
    }
    let every = triggers.every_ms? as i64;
    (now_ms - last_job_ms.unwrap_or(started_ms) >= every).then(|| Due {
        reason: format!("scheduled every {} h", every as f64 / 3_600_000.0),
        since_ms: None,
        trigger: "schedule",
    })
}

/// The start of the newest run of windows (oldest first) that hold
/// `test`, ending at the newest window; `None` when the newest does not.
pub fn onset(windows: &[WindowSeen], test: impl Fn(&WindowSeen) -> bool) -> Option<i64> {
    let run = windows.iter().rev().take_while(|w| test(w)).count();
    (run > 0).then(|| windows[windows.len() - run].start_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: i64 = 600_000;

    fn window(i: i64, accuracy: f64, drifted: &[&str]) -> WindowSeen {
        WindowSeen {
            start_ms: i * W,
            accuracy: Some(accuracy),
            drifted: drifted.iter().map(|f| f.to_string()).collect(),
        }
    }

    fn triggers() -> RetrainTriggers {
        RetrainTriggers {
            accuracy_below: Some(0.9),
            drift_on: vec!["monthly_charges".into()],
            every_ms: None,
            cooldown_ms: 3_600_000,
        }
    }

    #[test]
    fn a_low_window_starts_a_job_on_the_data_since_the_fall() {
        let windows = [
            window(1, 0.96, &[]),
            window(2, 0.88, &[]),
            window(3, 0.87, &[]),
        ];
        let due = due(&triggers(), &windows, None, 0, 0).unwrap();
        assert_eq!(due.trigger, "accuracy");
        assert_eq!(due.since_ms, Some(2 * W));
        assert!(due.reason.contains("87.0%"), "{}", due.reason);
    }

    #[test]
    fn drift_on_a_critical_feature_starts_one_and_others_do_not() {
        let windows = [
            window(1, 0.96, &["monthly_charges"]),
            window(2, 0.95, &["monthly_charges", "plan"]),
        ];
        let due = due(&triggers(), &windows, None, 0, 0).unwrap();
        assert_eq!((due.trigger, due.since_ms), ("drift", Some(W)));
        let only_plan = [window(1, 0.96, &["plan"])];
        assert_eq!(super::due(&triggers(), &only_plan, None, 0, 0), None);
        assert_eq!(super::due(&triggers(), &[], None, 0, 0), None);
    }

    #[test]
    fn the_cool_down_holds_for_its_span_and_the_schedule_counts_from_the_last_job() {
        let now = 10_000_000;
        assert!(cooling_down(&triggers(), Some(now - 1_000), now));
        assert!(!cooling_down(&triggers(), Some(now - 3_600_000), now));
        assert!(!cooling_down(&triggers(), None, now));
        let weekly = RetrainTriggers {
            every_ms: Some(7_000_000),
            ..RetrainTriggers::default()
        };
        let fine = [window(1, 0.97, &[])];
        assert_eq!(due(&weekly, &fine, None, now - 6_999_999, now), None);
        let scheduled = due(&weekly, &fine, None, now - 7_000_000, now).unwrap();
        assert_eq!((scheduled.trigger, scheduled.since_ms), ("schedule", None));
        assert!(
            due(&weekly, &fine, Some(now - 6_999_999), 0, now).is_none(),
            "the period counts from the last job"
        );
        assert!(
            cooling_down(&weekly, Some(now - 7_000_000), now),
            "the default cool-down is 6 h"
        );
    }
}
