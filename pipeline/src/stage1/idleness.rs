//! When an input of a partition counts as idle.
//!
//! An idle input stops holding the watermark back, so the other input's event
//! time alone closes windows. Being quiet is not enough for that: a consumer
//! working through a backlog can go seconds without a record from one topic
//! while it fetches the other, and calling that topic idle would close
//! windows its unread records still belong to (their labels would all be
//! late). So an input is idle when it has been quiet for a while *and* the
//! task has processed its partition up to the end the broker reports.

use std::time::{Duration, Instant};

use super::worker::Input;

/// Tracks how long each input has been quiet.
pub struct Idleness {
    idle_after: Duration,
    last_seen: [Instant; 2],
}

impl Idleness {
    /// Inputs become candidates for idleness after `idle_after` of quiet.
    pub fn new(idle_after: Duration) -> Self {
        Idleness {
            idle_after,
            last_seen: [Instant::now(); 2],
        }
    }

    /// A record arrived on `input`.
    pub fn saw(&mut self, input: Input) {
        self.last_seen[input as usize] = Instant::now();
    }

    /// The inputs that are quiet, not yet idle, and caught up according to
    /// `caught_up` (which asks the broker, so it is called at most once per
    /// `idle_after` per input: an input found behind starts a new quiet
    /// period).
    pub fn newly_idle(
        &mut self,
        is_idle: impl Fn(Input) -> bool,
        mut caught_up: impl FnMut(Input) -> bool,
    ) -> Vec<Input> {
        let mut idle = Vec::new();
        for input in [Input::Predictions, Input::Labels] {
            let seen = &mut self.last_seen[input as usize];
            if is_idle(input) || seen.elapsed() < self.idle_after {
                continue;
            }
            if caught_up(input) {
                idle.push(input);
            } else {
                *seen = Instant::now();
            }
        }
        idle
    }

    /// How long both inputs have been quiet.
    pub fn quiet_for(&self) -> Duration {
        self.last_seen
            .iter()
            .map(Instant::elapsed)
            .min()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_input_that_is_behind_is_not_idle_and_is_asked_again_later() {
        let mut idleness = Idleness::new(Duration::ZERO);
        let mut asked = Vec::new();
        let idle = idleness.newly_idle(
            |_| false,
            |input| {
                asked.push(input);
                input == Input::Predictions
            },
        );
        assert_eq!(idle, vec![Input::Predictions]);
        assert_eq!(asked, vec![Input::Predictions, Input::Labels]);
    }

    #[test]
    fn an_input_heard_recently_or_already_idle_is_not_asked() {
        let mut idleness = Idleness::new(Duration::from_secs(3600));
        idleness.saw(Input::Labels);
        let idle = idleness.newly_idle(|_| false, |_| panic!("asked too early"));
        assert!(idle.is_empty());
        let mut idleness = Idleness::new(Duration::ZERO);
        let idle = idleness.newly_idle(|_| true, |_| panic!("asked about an idle input"));
        assert!(idle.is_empty());
    }
}
