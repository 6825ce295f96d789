//! Joining predictions with their labels by prediction_id.
//!
//! A prediction waits up to `ttl_ms` of event time for its label, then counts
//! as unlabeled. A label that arrives first waits too (bounded by
//! `max_pending_labels`). A prediction stays known until its TTL passes, so a
//! repeated prediction_id in that time is recognised and ignored.
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
    fn new(key: u64, time: i64, value: Value, version: u32) -> Self {
        let (bits, number) = match value {
            Value::Class(id) => (u64::from(id), 0),
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
    },
    /// No prediction yet: the label waits.
    Waiting,
    /// The prediction was labeled already, or the same label waits already.
    Duplicate,
    /// No prediction yet and no room to wait: dropped (counted).
    Overflow,
}

/// A prediction whose TTL passed without a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unlabeled {
    /// Interned model version.
    pub version: u32,
    /// Event time of the prediction.
    pub prediction_time: i64,
}

/// Join state of one stage-1 task.
#[derive(Serialize, Deserialize)]
#[serde(into = "Snapshot", from = "Snapshot")]
pub struct Join {
    ttl_ms: i64,
    max_pending_labels: usize,
    predictions: HashTable<Slot>,
    labels: HashTable<Slot>,
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    ttl_ms: i64,
    max_pending_labels: usize,
    predictions: Vec<Slot>,
    labels: Vec<Slot>,
}

impl From<Join> for Snapshot {
    fn from(join: Join) -> Self {
        Snapshot {
            ttl_ms: join.ttl_ms,
            max_pending_labels: join.max_pending_labels,
            predictions: join.predictions.into_iter().collect(),
            labels: join.labels.into_iter().collect(),
        }
    }
}

impl From<Snapshot> for Join {
    fn from(snapshot: Snapshot) -> Self {
        let mut join = Join::new(snapshot.ttl_ms, snapshot.max_pending_labels);
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
        }
    }

    /// Registers a prediction of interned `version`.
    pub fn on_prediction(
        &mut self,
        key: u64,
        version: u32,
        time: i64,
        value: Value,
    ) -> OnPrediction {
        if self.predictions.find(key, |s| s.key == key).is_some() {
            return OnPrediction::Duplicate;
        }
        let mut slot = Slot::new(key, time, value, version);
        let outcome = match self.labels.find_entry(key, |s| s.key == key) {
            Ok(label) => {
                let (label, _) = label.remove();
                slot.tag |= LABELED;
                OnPrediction::Joined {
                    label_time: label.time,
                    label: label.value(),
                }
            }
            Err(_) => OnPrediction::Waiting,
        };
        self.predictions.insert_unique(key, slot, |s| s.key);
        outcome
    }

    /// Registers a label.
    pub fn on_label(&mut self, key: u64, time: i64, value: Value) -> OnLabel {
        if let Some(prediction) = self.predictions.find_mut(key, |s| s.key == key) {
            if prediction.tag & LABELED != 0 {
                return OnLabel::Duplicate;
            }
            prediction.tag |= LABELED;
            return OnLabel::Joined {
                version: prediction.version(),
                prediction_time: prediction.time,
                prediction: prediction.value(),
            };
        }
        if self.labels.find(key, |s| s.key == key).is_some() {
            return OnLabel::Duplicate;
        }
        if self.labels.len() >= self.max_pending_labels {
            return OnLabel::Overflow;
        }
        self.labels
            .insert_unique(key, Slot::new(key, time, value, 0), |s| s.key);
        OnLabel::Waiting
    }

    /// Forgets everything older than `watermark - ttl`: returns the
    /// predictions that never got a label, and how many waiting labels never
    /// got their prediction.
    pub fn expire(&mut self, watermark: i64) -> (Vec<Unlabeled>, u64) {
        let horizon = watermark.saturating_sub(self.ttl_ms);
        let mut unlabeled = Vec::new();
        self.predictions.retain(|slot| {
            if slot.time >= horizon {
                return true;
            }
            if slot.tag & LABELED == 0 {
                unlabeled.push(Unlabeled {
                    version: slot.version(),
                    prediction_time: slot.time,
                });
            }
            false
        });
        let before = self.labels.len();
        self.labels.retain(|slot| slot.time >= horizon);
        unlabeled.sort_by_key(|u| (u.prediction_time, u.version));
        (unlabeled, (before - self.labels.len()) as u64)
    }

    /// Predictions known (waiting or labeled within the TTL).
    pub fn predictions(&self) -> usize {
        self.predictions.len()
    }

    /// Labels waiting for their prediction.
    pub fn waiting_labels(&self) -> usize {
        self.labels.len()
    }
}

#[cfg(test)]
#[path = "join_tests.rs"]
mod tests;
