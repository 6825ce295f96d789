//! Stage 2 for one partials partition: collect the partials of each
//! (model, version, window) from every source partition, drop duplicates,
//! and complete the window once every source has moved past it (or a
//! timeout passed: the window is then marked incomplete).
//!
//! Pure: time is passed in (wall-clock milliseconds), results are returned.
//!
//! It never emits a window it cannot prove complete (see `sources`): when
//! two consumers briefly own one partition, or a commit skipped records, the
//! result of a consumer that saw everything stands and is not replaced.

mod sources;

use std::collections::{BTreeMap, BTreeSet};

use sources::Sources;

use serde::{Deserialize, Serialize};

use crate::metrics::MetricsPartial;
use crate::stage1::ClosedPartial;

/// A source partition's progress, sent by stage 1 to every partials
/// partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// The stage-1 source partition.
    pub source: u32,
    /// How many source partitions exist.
    pub sources: u32,
    /// Windows starting before this are closed at the source.
    pub closed_before: Option<i64>,
    /// The source has nothing open and is idle: it owes no window anything.
    pub idle_empty: bool,
}

/// What travels on the partials topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PartialRecord {
    /// The metrics of a closed window from one source partition.
    Window {
        /// The stage-1 source partition.
        source: u32,
        /// The partial (boxed: it is large next to a heartbeat).
        partial: Box<ClosedPartial>,
    },
    /// Progress of a source partition.
    Heartbeat(Heartbeat),
}

/// Identifies a window of a series (a model version in an environment).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WindowKey {
    /// Window start (ms).
    pub window_start: i64,
    /// Model name.
    pub model: String,
    /// Model version.
    pub version: String,
    /// Serving environment.
    pub environment: String,
}

/// A window's merged metrics, ready for drift and the sinks.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowResult {
    /// Which window.
    pub key: WindowKey,
    /// Window end (ms, exclusive).
    pub window_end: i64,
    /// Every source partition contributed or moved past the window.
    pub complete: bool,
    /// Sources whose partial is included.
    pub sources_with_data: usize,
    /// Source partitions expected (0 when no heartbeat was seen yet).
    pub sources_expected: u32,
    /// The merged metrics.
    pub metrics: MetricsPartial,
}

struct Pending {
    window_end: i64,
    partials: BTreeMap<u32, MetricsPartial>,
    first_seen_ms: u64,
    first_offset: i64,
}

struct Completed {
    window_end: i64,
    first_offset: i64,
    sources: BTreeSet<u32>,
    complete: bool,
    metrics: MetricsPartial,
}

/// Completed windows remembered to drop duplicates and fold late partials.
const REMEMBERED: usize = 4096;

/// Stage-2 state of one partials partition.
pub struct Evaluator {
    completion_timeout_ms: u64,
    pending: BTreeMap<WindowKey, Pending>,
    completed: BTreeMap<WindowKey, Completed>,
    sources: Sources,
    next_offset: i64,
    unprovable: u64,
}

impl Evaluator {
    /// An evaluator that gives up waiting for missing sources after
    /// `completion_timeout_ms` of wall time.
    pub fn new(completion_timeout_ms: u64) -> Self {
        Evaluator {
            completion_timeout_ms,
            pending: BTreeMap::new(),
            completed: BTreeMap::new(),
            sources: Sources::default(),
            next_offset: 0,
            unprovable: 0,
        }
    }

    /// Takes one record read at `offset`. Returns results to (re-)emit: a
    /// late partial for an already emitted window updates that window.
    pub fn on_record(
        &mut self,
        record: PartialRecord,
        offset: i64,
        now_ms: u64,
    ) -> Vec<WindowResult> {
        if self.next_offset == 0 && offset == 0 {
            self.sources.read_from_start();
        }
        self.next_offset = self.next_offset.max(offset + 1);
        match record {
            PartialRecord::Heartbeat(heartbeat) => {
                self.sources.on_heartbeat(heartbeat, offset);
                Vec::new()
            }
            PartialRecord::Window { source, partial } => {
                self.on_partial(source, *partial, offset, now_ms)
            }
        }
    }

    fn on_partial(
        &mut self,
        source: u32,
        partial: ClosedPartial,
        offset: i64,
        now_ms: u64,
    ) -> Vec<WindowResult> {
        let key = WindowKey {
            window_start: partial.window_start,
            model: partial.model,
            version: partial.version,
            environment: partial.environment,
        };
        if let Some(mut done) = self.completed.remove(&key) {
            let duplicate = !done.sources.insert(source);
            if !duplicate {
                done.metrics.merge(&partial.metrics);
                done.complete = self.verdict(key.window_start, &done.sources) == Verdict::Complete;
            }
            let done = self.completed.entry(key.clone()).or_insert(done);
            if duplicate {
                return Vec::new(); // a replayed partial of an emitted window
            }
            let result = WindowResult {
                key,
                window_end: done.window_end,
                complete: done.complete,
                sources_with_data: done.sources.len(),
                sources_expected: self.sources.expected(),
                metrics: done.metrics.clone(),
            };
            return vec![result];
        }
        let pending = self.pending.entry(key).or_insert_with(|| Pending {
            window_end: partial.window_end,
            partials: BTreeMap::new(),
            first_seen_ms: now_ms,
            first_offset: offset,
        });
        pending.partials.entry(source).or_insert(partial.metrics);
        Vec::new()
    }

    /// Completes every window whose sources have all moved past it, and every
    /// window waiting longer than the timeout (incomplete), unless it cannot
    /// be proven complete here (then it is dropped: another consumer saw it).
    pub fn poll(&mut self, now_ms: u64) -> Vec<WindowResult> {
        let mut ready = Vec::new();
        let mut dropped = Vec::new();
        for (key, pending) in &self.pending {
            let with_data: BTreeSet<u32> = pending.partials.keys().copied().collect();
            let timed_out =
                now_ms.saturating_sub(pending.first_seen_ms) >= self.completion_timeout_ms;
            match self.verdict(key.window_start, &with_data) {
                Verdict::Complete => ready.push((key.clone(), true)),
                Verdict::Waiting if timed_out => ready.push((key.clone(), false)),
                Verdict::Unprovable if timed_out => dropped.push(key.clone()),
                _ => {}
            }
        }
        for key in dropped {
            self.pending.remove(&key);
            self.unprovable += 1;
        }
        let mut results = Vec::new();
        for (key, complete) in ready {
            let pending = self.pending.remove(&key).expect("listed above");
            let sources: BTreeSet<u32> = pending.partials.keys().copied().collect();
            // Merged in source order, so the result does not depend on arrival order.
            let mut metrics = MetricsPartial::default();
            for partial in pending.partials.values() {
                metrics.merge(partial);
            }
            results.push(WindowResult {
                key: key.clone(),
                window_end: pending.window_end,
                complete,
                sources_with_data: sources.len(),
                sources_expected: self.sources.expected(),
                metrics: metrics.clone(),
            });
            let done = Completed {
                window_end: pending.window_end,
                first_offset: pending.first_offset,
                sources,
                complete,
                metrics,
            };
            self.completed.insert(key, done);
        }
        while self.completed.len() > REMEMBERED {
            self.completed.pop_first();
        }
        if let Some(oldest) = self.oldest_needed_start() {
            self.sources.prune(oldest);
        }
        results
    }

    /// Windows dropped because they could not be proven complete here.
    pub fn unprovable(&self) -> u64 {
        self.unprovable
    }

    /// The first offset still needed after a restart: from here a new
    /// evaluator rebuilds every pending window, sees the original partials of
    /// every window a crashed source may still emit again (a replayed partial
    /// alone must never replace a full result), and hears every source while
    /// those windows were open (so it can prove them complete).
    pub fn safe_offset(&self) -> i64 {
        let unsettled = self
            .completed
            .iter()
            .filter(|(key, _)| !self.sources.settled(key.window_start));
        let first_offsets = self
            .pending
            .values()
            .map(|p| p.first_offset)
            .chain(unsettled.map(|(_, d)| d.first_offset));
        let heartbeats = self
            .oldest_needed_start()
            .and_then(|start| self.sources.open_offset(start));
        first_offsets
            .chain(heartbeats)
            .min()
            .unwrap_or(self.next_offset)
    }

    /// Start of the oldest window still pending or not settled.
    fn oldest_needed_start(&self) -> Option<i64> {
        let unsettled = self
            .completed
            .keys()
            .filter(|key| !self.sources.settled(key.window_start));
        self.pending
            .keys()
            .chain(unsettled)
            .map(|key| key.window_start)
            .min()
    }

    /// Windows waiting for sources.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Whether a window with partials from `with_data` is complete: every
    /// expected source sent its partial, or closed the window while this
    /// evaluator was listening.
    fn verdict(&self, window_start: i64, with_data: &BTreeSet<u32>) -> Verdict {
        let expected = self.sources.expected();
        if expected == 0 {
            return Verdict::Waiting;
        }
        let mut verdict = Verdict::Complete;
        for source in 0..expected {
            if with_data.contains(&source) || !self.sources.past(source, window_start) {
                if !with_data.contains(&source) {
                    verdict = verdict.max(Verdict::Waiting);
                }
            } else if !self.sources.watched(source, window_start) {
                verdict = Verdict::Unprovable;
            }
        }
        verdict
    }
}

/// What is known about a window's completeness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    /// Every source is accounted for.
    Complete,
    /// Some source has neither sent a partial nor closed the window.
    Waiting,
    /// Some source closed the window before this evaluator heard from it,
    /// and its partial is not here: it may exist before our first offset.
    Unprovable,
}

#[cfg(test)]
mod tests;
