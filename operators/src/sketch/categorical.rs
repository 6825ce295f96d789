//! Sketch of a categorical feature in one window: exact counts of the
//! baseline's categories, and a bounded sample of values the baseline never
//! saw.
//!
//! The bound is exact-mergeable: of the unseen values, those with the
//! [`MAX_UNSEEN_VALUES`] smallest hashes keep an exact count; the rest are
//! counted together. Which values are kept depends only on the set of values,
//! never on arrival or merge order, so merging is associative and commutative.

use std::collections::BTreeMap;

use hashbrown::HashSet;

use serde::{Deserialize, Serialize};

use crate::hash::murmur3_128;

/// Unseen values that keep their own count.
pub const MAX_UNSEEN_VALUES: usize = 64;

/// What a categorical sketch needs from the baseline: its categories.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CategoricalSpec {
    /// Categories of the baseline (empty without a baseline). A set with
    /// hashbrown's default hasher (foldhash): every categorical value of
    /// every prediction is looked up here, and std's SipHash was a tenth of
    /// the stage-1 chain with the series interning.
    pub categories: HashSet<String>,
}

/// Mergeable summary of a categorical feature.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CategoricalSketch {
    /// Non-missing values.
    pub count: u64,
    /// Missing values.
    pub missing: u64,
    /// Exact counts of baseline categories that occurred.
    pub known: BTreeMap<String, u64>,
    /// Values not in the baseline, in total.
    pub unseen: u64,
    /// Exact counts of a hash-chosen subset of the unseen values.
    pub unseen_values: BTreeMap<String, u64>,
}

impl CategoricalSketch {
    /// Adds one value; `None` counts as missing.
    pub fn add(&mut self, value: Option<&str>, spec: &CategoricalSpec) {
        let Some(value) = value else {
            self.missing += 1;
            return;
        };
        self.count += 1;
        if spec.categories.contains(value) {
            match self.known.get_mut(value) {
                Some(n) => *n += 1,
                None => {
                    self.known.insert(value.to_string(), 1);
                }
            }
            return;
        }
        self.unseen += 1;
        match self.unseen_values.get_mut(value) {
            Some(n) => *n += 1,
            None => {
                self.unseen_values.insert(value.to_string(), 1);
                self.trim_unseen();
            }
        }
    }

    /// Folds `other` in.
    pub fn merge(&mut self, other: &CategoricalSketch) {
        self.count += other.count;
        self.missing += other.missing;
        self.unseen += other.unseen;
        for (value, n) in &other.known {
            *self.known.entry(value.clone()).or_default() += n;
        }
        for (value, n) in &other.unseen_values {
            *self.unseen_values.entry(value.clone()).or_default() += n;
        }
        self.trim_unseen();
    }

    /// Unseen values without their own count.
    pub fn unseen_other(&self) -> u64 {
        self.unseen - self.unseen_values.values().sum::<u64>()
    }

    /// Keeps the unseen values with the smallest hashes.
    fn trim_unseen(&mut self) {
        while self.unseen_values.len() > MAX_UNSEEN_VALUES {
            let largest = self
                .unseen_values
                .keys()
                .max_by_key(|v| murmur3_128(v.as_bytes()))
                .expect("more than the bound, so not empty")
                .clone();
            self.unseen_values.remove(&largest);
        }
    }
}
