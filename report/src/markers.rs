//! Alerts, actions and incidents placed on the event-time axis: the
//! markers of every chart and the rows of the page's table. Pure.

use crate::chart::Marker;
use crate::clock::Clock;
use crate::rows::Event;

/// An event and where it goes on the axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// Event time (ms): the event's own, or its wall-clock time mapped by
    /// the [`Clock`].
    pub at_ms: i64,
    /// What happened.
    pub event: Event,
}

/// The events that fall in `[since_ms, until_ms)` once placed, in time
/// order (then alert, action, incident).
pub fn place(events: &[Event], clock: &Clock, since_ms: i64, until_ms: i64) -> Vec<Placed> {
    let mut placed: Vec<Placed> = events
        .iter()
        .filter_map(|e| {
            let at_ms = if e.wall_clock {
                clock.event_time(e.at_ms)?
            } else {
                e.at_ms
            };
            (since_ms..until_ms).contains(&at_ms).then(|| Placed {
                at_ms,
                event: e.clone(),
            })
        })
        .collect();
    placed.sort_by_key(|p| (p.at_ms, p.event.kind));
    placed
}

/// One vertical line per placed event, labelled with what happened.
pub fn markers(placed: &[Placed]) -> Vec<Marker> {
    placed
        .iter()
        .map(|p| Marker {
            kind: p.event.kind,
            at_ms: p.at_ms,
            label: p.event.what.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::{EventKind, WindowRow};

    const MIN: i64 = 60_000;
    const DAY: i64 = 24 * 60 * MIN;

    fn event(kind: EventKind, at_ms: i64, wall_clock: bool) -> Event {
        Event {
            kind,
            at_ms,
            wall_clock,
            version: "2".into(),
            what: kind.label().into(),
            detail: String::new(),
        }
    }

    #[test]
    fn wall_clock_events_of_a_replay_land_where_the_pipeline_was() {
        let windows: Vec<WindowRow> = (1..=6)
            .map(|i| WindowRow {
                version: "2".into(),
                start_ms: (i - 1) * 10 * MIN,
                end_ms: i * 10 * MIN,
                predictions: 1,
                labeled: 1,
                correct: 1,
                latency_ms: [None; 3],
                written_ms: 300 * DAY + i * 1_000,
            })
            .collect();
        let clock = Clock::of(&windows);
        let events = [
            event(EventKind::IncidentResolved, 300 * DAY + 5_500, true),
            event(EventKind::AlertFired, 20 * MIN, false),
            event(EventKind::ActionTaken, 300 * DAY + 3_500, true),
            event(EventKind::AlertFired, 90 * MIN, false),
        ];
        let placed = place(&events, &clock, 0, 60 * MIN);
        let at: Vec<(i64, EventKind)> = placed.iter().map(|p| (p.at_ms, p.event.kind)).collect();
        assert_eq!(
            at,
            [
                (20 * MIN, EventKind::AlertFired),
                (30 * MIN, EventKind::ActionTaken),
                (50 * MIN, EventKind::IncidentResolved),
            ],
            "the alert at 01:30 is out of range"
        );
        assert_eq!(markers(&placed)[1].label, "action taken");
    }
}
