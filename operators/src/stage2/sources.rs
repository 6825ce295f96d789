//! What stage 2 knows about each source partition, from its heartbeats.
//!
//! A heartbeat saying "closed before t" follows, in the same partials
//! partition, every partial of that source for windows before t. So once an
//! evaluator has seen a source's heartbeat with a window still open, the
//! source's partial for that window (if any) will come after it: the window
//! is *watched* for that source. A window the source had already closed when
//! the evaluator first heard from it may have a partial the evaluator never
//! saw (it started reading later, or another consumer committed past it):
//! such a window cannot be proven complete here and is not emitted.

use std::collections::{BTreeMap, VecDeque};

use super::Heartbeat;

struct Source {
    latest: Heartbeat,
    /// The heartbeat before the latest: stage 1 sends a heartbeat, then saves
    /// its checkpoint, so what this one says closed is in a saved checkpoint
    /// and will never be emitted again.
    confirmed: Option<Heartbeat>,
    /// closed_before of the first heartbeat this evaluator saw.
    first_closed_before: Option<i64>,
    /// Recent (closed_before, offset) of heartbeats, oldest first.
    history: VecDeque<(Option<i64>, i64)>,
}

/// Heartbeats of every source partition seen in one partials partition.
#[derive(Default)]
pub(super) struct Sources {
    expected: u32,
    by_source: BTreeMap<u32, Source>,
    /// The evaluator read its partition from offset 0: nothing came before.
    from_start: bool,
}

fn closed(closed_before: Option<i64>, window_start: i64) -> bool {
    closed_before.is_some_and(|c| window_start < c)
}

impl Sources {
    /// Records a heartbeat read at `offset`.
    pub(super) fn on_heartbeat(&mut self, heartbeat: Heartbeat, offset: i64) {
        self.expected = self.expected.max(heartbeat.sources);
        let entry = (heartbeat.closed_before, offset);
        match self.by_source.get_mut(&heartbeat.source) {
            Some(source) => {
                source.confirmed = Some(source.latest);
                source.latest = heartbeat;
                source.history.push_back(entry);
            }
            None => {
                let source = Source {
                    latest: heartbeat,
                    confirmed: None,
                    first_closed_before: heartbeat.closed_before,
                    history: VecDeque::from([entry]),
                };
                self.by_source.insert(heartbeat.source, source);
            }
        }
    }

    /// Source partitions expected (0 before any heartbeat).
    pub(super) fn expected(&self) -> u32 {
        self.expected
    }

    /// The source's latest heartbeat says the window is closed (or it is
    /// idle with nothing open).
    pub(super) fn past(&self, source: u32, window_start: i64) -> bool {
        self.by_source
            .get(&source)
            .is_some_and(|s| s.latest.idle_empty || closed(s.latest.closed_before, window_start))
    }

    /// This evaluator heard from the source while the window was open (or
    /// read everything the source ever sent here).
    pub(super) fn watched(&self, source: u32, window_start: i64) -> bool {
        self.from_start
            || self
                .by_source
                .get(&source)
                .is_some_and(|s| !closed(s.first_closed_before, window_start))
    }

    /// Notes that the evaluator's first record was at offset 0: nothing
    /// any source sent here came before it.
    pub(super) fn read_from_start(&mut self) {
        self.from_start = true;
    }

    /// Every source has a checkpoint with the window closed.
    pub(super) fn settled(&self, window_start: i64) -> bool {
        self.expected > 0
            && (0..self.expected).all(|source| {
                self.by_source
                    .get(&source)
                    .and_then(|s| s.confirmed)
                    .is_some_and(|h| h.idle_empty || closed(h.closed_before, window_start))
            })
    }

    /// The earliest offset from which a restarted evaluator still hears every
    /// source with the window at `window_start` open: for each source, its
    /// latest heartbeat that had it open.
    pub(super) fn open_offset(&self, window_start: i64) -> Option<i64> {
        self.by_source
            .values()
            .filter_map(|s| {
                let open = s
                    .history
                    .iter()
                    .rev()
                    .find(|(c, _)| !closed(*c, window_start));
                open.map(|(_, offset)| *offset)
            })
            .min()
    }

    /// Forgets heartbeats no longer needed for windows starting at or after
    /// `oldest_start`: keeps the latest that had it open, and everything after.
    pub(super) fn prune(&mut self, oldest_start: i64) {
        for source in self.by_source.values_mut() {
            while source.history.len() > 1 && !closed(source.history[1].0, oldest_start) {
                source.history.pop_front();
            }
        }
    }
}
