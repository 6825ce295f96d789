//! The run: one event-time timeline on which predictions arrive (a Poisson
//! process at the scenario's rate) and labels follow after their delay,
//! paced against the wall clock by the speedup. Both streams leave in
//! event-time order, so each Kafka partition of either topic is in order.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mlobs_schemas::GroundTruthEvent;
use mlobs_trainer::Logistic;

use crate::routing::Routing;
use crate::serve::{serve, Streams};
use crate::truth::{Tally, Truth};
use crate::{Output, Scenario, SimError};

/// A label waiting for the clock, with what the truth needs to count it.
struct Pending {
    label: GroundTruthEvent,
    model: usize,
    version: String,
    correct: bool,
}

/// Holds events back until their event time, scaled by the speedup, has
/// passed on the wall clock.
struct Pacer {
    started: Instant,
    start_ms: i64,
    speedup: f64,
}

impl Pacer {
    fn wait_for(&self, t: i64) {
        if self.speedup > 0.0 {
            let offset = (t - self.start_ms) as f64 / 1000.0 / self.speedup;
            let due = self.started + Duration::from_secs_f64(offset.max(0.0));
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
    }
}

/// Plays `scenario` with the `trained` versions into `output`.
pub(crate) fn play(
    scenario: &Scenario,
    trained: &[Vec<Logistic>],
    routing: &Routing,
    output: &mut impl Output,
    window_ms: i64,
) -> Result<Truth, SimError> {
    if window_ms <= 0 {
        return Err(SimError::Scenario(format!(
            "window size {window_ms} ms is invalid: windows are longer than 0 ms"
        )));
    }
    let pacer = Pacer {
        started: Instant::now(),
        start_ms: scenario.start_ms,
        speedup: scenario.speedup,
    };
    let mut streams = Streams::new(scenario.seed);
    let mut tally = Tally::new(window_ms);
    // Labels by (due time, sequence): in time order, ties in sending order.
    let mut pending: BTreeMap<(i64, u64), Pending> = BTreeMap::new();
    let mean_gap_ms = 1000.0 / scenario.rate;
    let mut offset_ms = 0.0;
    let mut sequence = 0u64;
    loop {
        offset_ms += streams.traffic.exponential(mean_gap_ms);
        if offset_ms >= scenario.duration_ms as f64 {
            break;
        }
        let t = scenario.start_ms + offset_ms as i64;
        send_labels(scenario, &pacer, &mut pending, Some(t), output, &mut tally)?;
        pacer.wait_for(t);
        let id = format!("sim-{}-{sequence}", scenario.seed);
        let served = serve(scenario, trained, routing, &mut streams, t, id);
        let model = &scenario.models[served.model];
        let right = served.event.error.is_none().then_some(served.correct);
        if output.prediction(served.event)? {
            tally.prediction(&model.name, &served.version, t, right);
            if let Some(label) = served.label {
                let key = (label.event_time, sequence);
                pending.insert(
                    key,
                    Pending {
                        label,
                        model: served.model,
                        version: served.version,
                        correct: served.correct,
                    },
                );
            }
        }
        sequence += 1;
    }
    send_labels(scenario, &pacer, &mut pending, None, output, &mut tally)?;
    Ok(tally.finish())
}

/// Sends the pending labels due at or before `until` (all when `None`).
fn send_labels(
    scenario: &Scenario,
    pacer: &Pacer,
    pending: &mut BTreeMap<(i64, u64), Pending>,
    until: Option<i64>,
    output: &mut impl Output,
    tally: &mut Tally,
) -> Result<(), SimError> {
    while let Some(entry) = pending.first_entry() {
        let due = entry.key().0;
        if until.is_some_and(|t| due > t) {
            break;
        }
        let Pending {
            label,
            model,
            version,
            correct,
        } = entry.remove();
        pacer.wait_for(due);
        output.label(label)?;
        let model = &scenario.models[model];
        tally.label(&model.name, &version, due, correct);
    }
    Ok(())
}
