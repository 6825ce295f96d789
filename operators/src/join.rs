//! Joining predictions with their labels by prediction_id.
//!
//! A prediction waits up to `ttl_ms` of event time for its label, then counts
//! as unlabeled. A label that arrives first waits too (bounded by
//! `max_pending_labels`). A prediction stays known until its TTL passes, so a
//! repeated prediction_id in that time is recognised and ignored.
//!
//! Expiry is logical: a slot older than the horizon (the inputs' event-time
//! progress minus the TTL) is treated as absent the moment the horizon
//! passes it, so results do not depend on when the runtime asks. Its memory
//! is reclaimed by a sweep that runs only after the horizon moved by a
//! sixteenth of the TTL, so each slot is visited a bounded number of times
//! over its life (amortized O(1) per expired slot, never a scan per call).
//! Who was left unlabeled is not found by scanning either: the caller counts
//! a prediction as pending when it starts waiting and uncounts it when its
//! label joins (see `stage1.rs`).
//!
//! Memory: each waiting prediction is one 26-byte slot (plus one control
//! byte) in an open-addressing table keyed by a 64-bit hash of the id; the
//! id itself is not kept. Two ids collide with probability about n^2 / 2^65
//! (3e-6 with ten million waiting), which we accept.

use hashbrown::HashTable;
use serde::{Deserialize, Serialize};

use crate::hash::murmur3_128;

/// A model output stored compactly: a class (interned) or a number.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// Interned class label.
    Class(u32),
    /// Regression value.
    Number(f64),
}

const VERSION_BITS: u16 = 0x3FFF;
const LABELED: u16 = 0x4000;
const NUMBER: u16 = 0x8000;
/// Model versions one join can tell apart (14 bits of its slot).
pub const MAX_VERSIONS: u32 = VERSION_BITS as u32 + 1;

/// One slot: packed to 26 bytes so that the table stays small.
#[repr(C, packed(2))]
#[derive(Clone, Copy, Serialize, Deserialize)]
struct Slot {
    key: u64,
    time: i64,
    value: u64,
    tag: u16,
}

impl Slot {
    /// A class keeps its confidence in the upper half of `value` (NaN when
    /// unknown), so CBPE can learn from the outcome without a wider slot.
    fn new(key: u64, time: i64, value: Value, version: u32, confidence: Option<f32>) -> Self {
        let (bits, number) = match value {
            Value::Class(id) => {
                let confidence = confidence.unwrap_or(f32::NAN).to_bits();
                (u64::from(id) | (u64::from(confidence) << 32), 0)
            }
            Value::Number(x) => (x.to_bits(), NUMBER),
        };
        Slot {
            key,
            time,
            value: bits,
            tag: (version as u16 & VERSION_BITS) | number,
        }
    }

    fn value(&self) -> Value {
        if self.tag & NUMBER != 0 {
            Value::Number(f64::from_bits(self.value))
        } else {
            Value::Class(self.value as u32)
        }
    }

    /// The confidence of a class prediction, when it had one.
    fn confidence(&self) -> Option<f32> {
        let confidence = f32::from_bits((self.value >> 32) as u32);
        (self.tag & NUMBER == 0 && !confidence.is_nan()).then_some(confidence)
    }

    fn version(&self) -> u32 {
        u32::from(self.tag & VERSION_BITS)
    }
}

/// The join key of a prediction id.
pub fn key_of(prediction_id: &str) -> u64 {
    murmur3_128(prediction_id.as_bytes()) as u64
}

/// What happened to a prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OnPrediction {
    /// Now waiting for its label.
    Waiting,
    /// Its label had arrived first: a joined outcome.
    Joined { label_time: i64, label: Value },
    /// Its id was seen within the TTL: ignored.
    Duplicate,
}

/// What happened to a label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OnLabel {
    /// Its prediction was waiting: a joined outcome.
    Joined {
        version: u32,
        prediction_time: i64,
        prediction: Value,
        /// The confidence the prediction reported (classes only).
        confidence: Option<f32>,
    },
    /// No prediction yet: the label waits.
    Waiting,
    /// The prediction was labeled already, or the same label waits already.
    Duplicate,
    /// No prediction yet and no room to wait: dropped (counted).
    Overflow,
}

/// Join state of one stage-1 task.
#[derive(Serialize, Deserialize)]
#[serde(into = "Snapshot", from = "Snapshot")]
pub struct Join {
    ttl_ms: i64,
    max_pending_labels: usize,
    predictions: HashTable<Slot>,
    labels: HashTable<Slot>,
    /// Slots with an event time before this are expired; it only moves on.
    horizon: i64,
    /// The horizon at the last sweep.
    swept_at: i64,
    /// Waiting labels swept away without their prediction, not yet taken.
    orphans: u64,
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    ttl_ms: i64,
    max_pending_labels: usize,
    horizon: i64,
    swept_at: i64,
    orphans: u64,
    predictions: Vec<Slot>,
    labels: Vec<Slot>,
}

impl From<Join> for Snapshot {
    fn from(join: Join) -> Self {
        Snapshot {
            ttl_ms: join.ttl_ms,
            max_pending_labels: join.max_pending_labels,
            horizon: join.horizon,
            swept_at: join.swept_at,
            orphans: join.orphans,
            predictions: join.predictions.into_iter().collect(),
            labels: join.labels.into_iter().collect(),
        }
    }
}

impl From<Snapshot> for Join {
    fn from(snapshot: Snapshot) -> Self {
        let mut join = Join::new(snapshot.ttl_ms, snapshot.max_pending_labels);
        join.horizon = snapshot.horizon;
        join.swept_at = snapshot.swept_at;
        join.orphans = snapshot.orphans;
        for slot in snapshot.predictions {
            join.predictions.insert_unique(slot.key, slot, |s| s.key);
        }
        for slot in snapshot.labels {
            join.labels.insert_unique(slot.key, slot, |s| s.key);
        }
        join
    }
}

impl Clone for Join {
    fn clone(&self) -> Self {
        Join {
            ttl_ms: self.ttl_ms,
            max_pending_labels: self.max_pending_labels,
            predictions: self.predictions.clone(),
            labels: self.labels.clone(),
            horizon: self.horizon,
            swept_at: self.swept_at,
            orphans: self.orphans,
        }
    }
}

impl Join {
    /// A join where predictions wait `ttl_ms` and at most
    /// `max_pending_labels` labels wait for their prediction.
    pub fn new(ttl_ms: i64, max_pending_labels: usize) -> Self {
        Join {
            ttl_ms,
            max_pending_labels,
            predictions: HashTable::new(),
            labels: HashTable::new(),
            horizon: i64::MIN,
            swept_at: i64::MIN,
            orphans: 0,
        }
    }

    /// Registers a prediction of interned `version` (a class keeps its
    /// `confidence` for its label).
    pub fn on_prediction(
        &mut self,
        key: u64,
        version: u32,
        time: i64,
        value: Value,
        confidence: Option<f32>,
    ) -> OnPrediction {
        if self.is_known(key) {
            return OnPrediction::Duplicate;
        }
        let horizon = self.horizon;
        let mut slot = Slot::new(key, time, value, version, confidence);
        let outcome = match self.labels.find_entry(key, |s| s.key == key) {
            Ok(label) if label.get().time >= horizon => {
                let (label, _) = label.remove();
                slot.tag |= LABELED;
                OnPrediction::Joined {
                    label_time: label.time,
                    label: label.value(),
                }
            }
            _ => OnPrediction::Waiting,
        };
        match self.predictions.find_mut(key, |s| s.key == key) {
            // An expired slot of the same id, not swept yet: reuse it.
            Some(expired) => *expired = slot,
            None => {
                self.predictions.insert_unique(key, slot, |s| s.key);
            }
        }
        outcome
    }

    /// True when a prediction with `key` is known and not expired.
    fn is_known(&self, key: u64) -> bool {
        self.predictions
            .find(key, |s| s.key == key)
            .is_some_and(|s| s.time >= self.horizon)
    }

    /// Registers a label.
    pub fn on_label(&mut self, key: u64, time: i64, value: Value) -> OnLabel {
        let horizon = self.horizon;
        if let Some(prediction) = self
            .predictions
            .find_mut(key, |s| s.key == key)
            .filter(|s| s.time >= horizon)
        {
            if prediction.tag & LABELED != 0 {
                return OnLabel::Duplicate;
            }
            prediction.tag |= LABELED;
            return OnLabel::Joined {
                version: prediction.version(),
                prediction_time: prediction.time,
                prediction: prediction.value(),
                confidence: prediction.confidence(),
            };
        }
        let label = Slot::new(key, time, value, 0, None);
        if let Some(waiting) = self.labels.find_mut(key, |s| s.key == key) {
            if waiting.time >= horizon {
                return OnLabel::Duplicate;
            }
            // An expired label of the same id, not swept yet: reuse its slot.
            *waiting = label;
            return OnLabel::Waiting;
        }
        if self.labels.len() >= self.max_pending_labels {
            self.sweep();
            if self.labels.len() >= self.max_pending_labels {
                return OnLabel::Overflow;
            }
        }
        self.labels.insert_unique(key, label, |s| s.key);
        OnLabel::Waiting
    }

    /// The inputs reached event time `progress`: everything older than
    /// `progress - ttl` expires now, and its memory is reclaimed when a
    /// sweep is due.
    pub fn set_progress(&mut self, progress: i64) {
        self.horizon = self.horizon.max(progress.saturating_sub(self.ttl_ms));
        let due = self.swept_at.saturating_add((self.ttl_ms / 16).max(1));
        if self.horizon >= due {
            self.sweep();
        }
    }

    /// Waiting labels found expired without their prediction since the last
    /// call (they are counted when their memory is reclaimed).
    pub fn take_orphans(&mut self) -> u64 {
        std::mem::take(&mut self.orphans)
    }

    /// Reclaims the slots of expired entries, counting orphan labels.
    fn sweep(&mut self) {
        let horizon = self.horizon;
        self.swept_at = horizon;
        self.predictions.retain(|slot| slot.time >= horizon);
        let before = self.labels.len();
        self.labels.retain(|slot| slot.time >= horizon);
        self.orphans += (before - self.labels.len()) as u64;
    }

    /// Predictions held (waiting or labeled within the TTL; expired ones
    /// until the next sweep).
    pub fn predictions(&self) -> usize {
        self.predictions.len()
    }

    /// Labels held waiting for their prediction (expired ones until the
    /// next sweep).
    pub fn waiting_labels(&self) -> usize {
        self.labels.len()
    }
}

#[cfg(test)]
#[path = "join_tests.rs"]
mod tests;
