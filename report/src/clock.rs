//! Where on the event-time axis a wall-clock moment goes.
//!
//! Windows, drift and alerts are in event time (when predictions were
//! made); the agent's actions and incidents are in wall-clock time (when
//! it acted). Live, the two agree. For replayed or simulated data (event
//! time in the past, played faster than the clock) a wall-clock moment is
//! placed at the event time the pipeline had reached then: the end of the
//! newest window it had written by that moment (`window_metrics.updated_ms`).

use crate::rows::WindowRow;

/// Beyond this lag between a window's end and its writing the history is
/// taken as replayed: live, windows are written within minutes of their
/// end (the allowed lateness), not a day later or before.
const LIVE_LAG_MS: i64 = 24 * 3_600_000;

/// The mapping from wall-clock to event time of one report's windows.
#[derive(Debug, Clone, PartialEq)]
pub enum Clock {
    /// Event time is wall-clock time.
    Live,
    /// (written at, window end) of each window, by writing time.
    Replayed(Vec<(i64, i64)>),
}

impl Clock {
    /// The clock of `windows`: live when the median window was written
    /// within [`LIVE_LAG_MS`] after its end.
    pub fn of(windows: &[WindowRow]) -> Clock {
        let mut lags: Vec<i64> = windows.iter().map(|w| w.written_ms - w.end_ms).collect();
        lags.sort_unstable();
        match lags.get(lags.len() / 2) {
            Some(lag) if (0..=LIVE_LAG_MS).contains(lag) => Clock::Live,
            None => Clock::Live,
            Some(_) => {
                let mut written: Vec<(i64, i64)> =
                    windows.iter().map(|w| (w.written_ms, w.end_ms)).collect();
                written.sort_unstable();
                Clock::Replayed(written)
            }
        }
    }

    /// The event time at wall-clock `wall_ms`: itself when live, else the
    /// newest window end written by then; `None` before any window was.
    pub fn event_time(&self, wall_ms: i64) -> Option<i64> {
        match self {
            Clock::Live => Some(wall_ms),
            Clock::Replayed(written) => written
                .iter()
                .take_while(|(at, _)| *at <= wall_ms)
                .map(|(_, end)| *end)
                .max(),
        }
    }

    /// True when wall-clock events had to be mapped.
    pub fn is_replayed(&self) -> bool {
        matches!(self, Clock::Replayed(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn window(end_ms: i64, written_ms: i64) -> WindowRow {
        WindowRow {
            version: "1".into(),
            start_ms: end_ms - 10 * MIN,
            end_ms,
            predictions: 1,
            labeled: 1,
            correct: 1,
            latency_ms: [None; 3],
            written_ms,
        }
    }

    #[test]
    fn live_windows_keep_wall_clock_times() {
        let clock = Clock::of(&[window(10 * MIN, 12 * MIN), window(20 * MIN, 21 * MIN)]);
        assert_eq!(clock, Clock::Live);
        assert_eq!(clock.event_time(15 * MIN), Some(15 * MIN));
    }

    #[test]
    fn replayed_windows_place_a_moment_at_the_newest_window_written_by_then() {
        let day = 24 * 60 * MIN;
        // Event time January, written ten days later, one window a second.
        let windows = [
            window(10 * MIN, 10 * day),
            window(20 * MIN, 10 * day + 1_000),
            window(30 * MIN, 10 * day + 2_000),
        ];
        let clock = Clock::of(&windows);
        assert!(clock.is_replayed());
        assert_eq!(clock.event_time(10 * day - 1), None, "before any window");
        assert_eq!(clock.event_time(10 * day + 1_500), Some(20 * MIN));
        assert_eq!(clock.event_time(11 * day), Some(30 * MIN), "after the last");
    }
}
