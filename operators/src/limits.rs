//! Caps on what event data can make grow: feature names the baseline does
//! not know, class labels, and error types all come from model servers, and
//! a buggy or hostile one could send a new value with every event. Each cap
//! bounds a window's state (and the Prometheus series built from it);
//! values beyond it are folded into [`OTHER`] or, for unknown features, not
//! sketched, and counted in [`Capped`] so that the loss is visible.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The key that collects classes and error types beyond their cap.
pub const OTHER: &str = "(other)";

/// How many distinct values of each kind one window of one series keeps
/// (the `[limits]` section of the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Features that are not in the version's baseline (sketched by the
    /// kind of their first value).
    pub max_unknown_features: usize,
    /// Distinct classes in the confusion counts (per axis).
    pub max_classes: usize,
    /// Distinct error types.
    pub max_error_types: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_unknown_features: 100,
            max_classes: 100,
            max_error_types: 50,
        }
    }
}

/// Values that met a cap, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capped {
    /// Values of unknown features that were not sketched (the window
    /// already sketched `max_unknown_features` of them).
    pub features: u64,
    /// Outcomes whose class was counted as [`OTHER`].
    pub classes: u64,
    /// Failed inferences whose error type was counted as [`OTHER`].
    pub error_types: u64,
}

impl Capped {
    /// Each count with a stable name (a metric label).
    pub fn named(&self) -> [(&'static str, u64); 3] {
        [
            ("feature", self.features),
            ("class", self.classes),
            ("error_type", self.error_types),
        ]
    }
}

/// The key to count `value` under in `map`: the value itself while the map
/// holds it or has room (fewer than `max` keys), else [`OTHER`]; the flag
/// says whether the cap applied.
pub fn capped_key<'a, V>(map: &BTreeMap<String, V>, value: &'a str, max: usize) -> (&'a str, bool) {
    if map.contains_key(value) || map.len() < max {
        (value, false)
    } else {
        (OTHER, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_beyond_the_cap_fold_into_other() {
        let mut map = BTreeMap::new();
        for value in ["a", "b", "a", "c", "b", "d"] {
            let (key, _) = capped_key(&map, value, 2);
            *map.entry(key.to_string()).or_insert(0) += 1;
        }
        assert_eq!(
            map,
            BTreeMap::from([("a".into(), 2), ("b".into(), 2), (OTHER.into(), 2)])
        );
    }
}
