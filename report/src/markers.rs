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

/// One vertical line per moment and kind, labelled with what happened:
/// events of one kind at the same place share a line and a label ("a, b"),
/// so that two alerts and two actions at one moment need two label rows,
/// not four, and none is crowded out of the band above the plot.
pub fn markers(placed: &[Placed]) -> Vec<Marker> {
    let mut out: Vec<Marker> = Vec::new();
    for p in placed {
        match out.last_mut() {
            Some(last) if last.at_ms == p.at_ms && last.kind == p.event.kind => {
                last.label = format!("{}, {}", last.label, p.event.what);
            }
            _ => out.push(Marker {
                kind: p.event.kind,
                at_ms: p.at_ms,
                label: p.event.what.clone(),
            }),
        }
    }
    out
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

    #[test]
    fn events_of_one_kind_at_one_moment_share_a_marker() {
        let at = |kind, ms, what: &str| Placed {
            at_ms: ms,
            event: Event {
                what: what.into(),
                ..event(kind, ms, false)
            },
        };
        let placed = [
            at(EventKind::AlertFired, 20 * MIN, "accuracy_slo (v2)"),
            at(EventKind::AlertFired, 20 * MIN, "feature_drift (v2)"),
            at(EventKind::ActionTaken, 20 * MIN, "rollback to 1"),
            at(EventKind::ActionTaken, 20 * MIN, "retrain"),
            at(EventKind::AlertFired, 30 * MIN, "latency_p95 (v3)"),
        ];
        let labels: Vec<String> = markers(&placed).into_iter().map(|m| m.label).collect();
        assert_eq!(
            labels,
            [
                "accuracy_slo (v2), feature_drift (v2)",
                "rollback to 1, retrain",
                "latency_p95 (v3)"
            ]
        );
    }
}
