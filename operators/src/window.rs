//! Event-time tumbling windows and the watermark that closes them.
//!
//! A stage-1 task reads two inputs (a predictions partition and the labels
//! partition of the same number). Its watermark is the smallest of the
//! inputs' largest event times, so a window closes only when both inputs have
//! moved past it: the result then does not depend on how the two inputs were
//! interleaved. An input the runtime marks idle (caught up, nothing new)
//! stops holding the watermark back.

use serde::{Deserialize, Serialize};

/// Window size and allowed lateness, in milliseconds of event time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Windows {
    /// Length of each tumbling window.
    pub size_ms: i64,
    /// How long after its end a window still accepts events.
    pub allowed_lateness_ms: i64,
}

impl Windows {
    /// Start of the window holding event time `t`.
    pub fn start_of(&self, t: i64) -> i64 {
        t.div_euclid(self.size_ms) * self.size_ms
    }

    /// Watermark at which the window starting at `start` closes.
    pub fn closes_at(&self, start: i64) -> i64 {
        start + self.size_ms + self.allowed_lateness_ms
    }

    /// True when an event at `t` arrives after its window closed.
    pub fn is_late(&self, t: i64, watermark: Option<i64>) -> bool {
        watermark.is_some_and(|w| w >= self.closes_at(self.start_of(t)))
    }
}

/// The watermark of one task over several inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watermark {
    /// Largest event time seen per input.
    seen: Vec<Option<i64>>,
    /// Inputs that are caught up and quiet.
    idle: Vec<bool>,
    /// The watermark the inputs justify; it never moves back.
    current: Option<i64>,
    /// A floor set by a flush: windows before it are closed, though the
    /// inputs have not moved past them.
    floor: Option<i64>,
}

impl Watermark {
    /// A watermark over `inputs` inputs, none seen yet.
    pub fn new(inputs: usize) -> Self {
        Watermark {
            seen: vec![None; inputs],
            idle: vec![false; inputs],
            current: None,
            floor: None,
        }
    }

    /// Records an event time on `input` (which is then no longer idle).
    pub fn observe(&mut self, input: usize, t: i64) {
        let seen = &mut self.seen[input];
        *seen = Some(seen.map_or(t, |s| s.max(t)));
        self.idle[input] = false;
        self.recompute();
    }

    /// Marks `input` idle or active.
    pub fn set_idle(&mut self, input: usize, idle: bool) {
        self.idle[input] = idle;
        self.recompute();
    }

    /// Closes everything before `t` (used when the runtime flushes open
    /// windows: later events for them are then late). The event-time
    /// progress of the inputs ([`Watermark::of_inputs`]) does not move.
    pub fn advance_to(&mut self, t: i64) {
        self.floor = Some(self.floor.map_or(t, |f| f.max(t)));
    }

    /// The watermark that closes windows: the inputs' progress, or the
    /// flush floor if that is later.
    pub fn current(&self) -> Option<i64> {
        match (self.current, self.floor) {
            (Some(c), Some(f)) => Some(c.max(f)),
            (c, f) => c.or(f),
        }
    }

    /// How far the inputs themselves have come in event time: what decides
    /// that a label is overdue (a flush must not expire predictions).
    pub fn of_inputs(&self) -> Option<i64> {
        self.current
    }

    /// The floor the last flush set, if any.
    pub fn floor(&self) -> Option<i64> {
        self.floor
    }

    /// Raises the inputs' progress and the floor to at least these (a
    /// restore after a replay); neither moves back.
    pub fn raise(&mut self, inputs: Option<i64>, floor: Option<i64>) {
        if let Some(t) = inputs {
            self.current = Some(self.current.map_or(t, |c| c.max(t)));
        }
        if let Some(t) = floor {
            self.advance_to(t);
        }
    }

    fn recompute(&mut self) {
        let active: Vec<Option<i64>> = self
            .seen
            .iter()
            .zip(&self.idle)
            .filter(|(_, idle)| !**idle)
            .map(|(s, _)| *s)
            .collect();
        let candidate = if active.is_empty() {
            // All idle: everything seen so far is complete.
            self.seen.iter().flatten().max().copied()
        } else if active.iter().all(Option::is_some) {
            active.iter().flatten().min().copied()
        } else {
            None
        };
        if let Some(c) = candidate {
            self.current = Some(self.current.map_or(c, |w| w.max(c)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_tumble_and_close_after_the_lateness() {
        let w = Windows {
            size_ms: 60_000,
            allowed_lateness_ms: 10_000,
        };
        assert_eq!(w.start_of(59_999), 0);
        assert_eq!(w.start_of(60_000), 60_000);
        assert_eq!(w.start_of(-1), -60_000);
        assert_eq!(w.closes_at(0), 70_000);
        assert!(!w.is_late(30_000, Some(69_999)));
        assert!(w.is_late(30_000, Some(70_000)));
        assert!(!w.is_late(30_000, None));
    }

    #[test]
    fn the_slowest_active_input_holds_the_watermark() {
        let mut wm = Watermark::new(2);
        wm.observe(0, 100);
        assert_eq!(wm.current(), None, "labels not seen yet");
        wm.observe(1, 40);
        assert_eq!(wm.current(), Some(40));
        wm.observe(0, 500);
        assert_eq!(wm.current(), Some(40));
        wm.set_idle(1, true);
        assert_eq!(wm.current(), Some(500));
        wm.observe(1, 60);
        assert_eq!(wm.current(), Some(500), "never moves back");
        wm.set_idle(0, true);
        wm.set_idle(1, true);
        assert_eq!(wm.current(), Some(500));
    }
}
