//! What a run really sent, cut into the same event-time windows the pipeline
//! uses and attributed the same way, so that a test can compare the
//! pipeline's per-window results with the truth number for number.

use std::collections::BTreeMap;

use mlobs_schemas::time::{format_rfc3339, parse_rfc3339};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Per (model, version, window) counts of what was sent, sorted by
/// (window_start, model, version). Serializes as a JSON array of windows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Truth {
    /// Every (model, version, window) with at least one count.
    pub windows: Vec<WindowTruth>,
}

/// The counts of one version in one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowTruth {
    /// Model name.
    pub model: String,
    /// Model version.
    pub version: String,
    /// Window start, ms since the epoch (RFC 3339 in JSON), inclusive.
    #[serde(serialize_with = "write_time", deserialize_with = "read_time")]
    pub window_start: i64,
    /// Window end, ms since the epoch (RFC 3339 in JSON), exclusive.
    #[serde(serialize_with = "write_time", deserialize_with = "read_time")]
    pub window_end: i64,
    /// The counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// Counts, attributed as the pipeline attributes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Predictions sent with an event time in the window (failed ones too).
    pub predictions: u64,
    /// Labels sent with an event time in the window.
    pub labeled: u64,
    /// Of those, labels equal to their prediction.
    pub correct: u64,
    /// Successful predictions made in the window (labeled or not).
    #[serde(default)]
    pub classified: u64,
    /// Of those, the ones the world's true class agrees with: the realized
    /// accuracy of the window's predictions, which labels only sample.
    #[serde(default)]
    pub classified_right: u64,
}

impl Counts {
    /// correct / labeled, when anything was labeled.
    pub fn accuracy(&self) -> Option<f64> {
        (self.labeled > 0).then(|| self.correct as f64 / self.labeled as f64)
    }

    fn add(&mut self, other: &Counts) {
        self.predictions += other.predictions;
        self.labeled += other.labeled;
        self.correct += other.correct;
        self.classified += other.classified;
        self.classified_right += other.classified_right;
    }
}

impl Truth {
    /// Counts per (model, version) over the whole run, for summaries.
    pub fn totals(&self) -> BTreeMap<(String, String), Counts> {
        let mut totals: BTreeMap<(String, String), Counts> = BTreeMap::new();
        for w in &self.windows {
            totals
                .entry((w.model.clone(), w.version.clone()))
                .or_default()
                .add(&w.counts);
        }
        totals
    }
}

/// Counts events into windows while a run sends them.
#[derive(Debug)]
pub(crate) struct Tally {
    window_ms: i64,
    counts: BTreeMap<(i64, String, String), Counts>,
}

impl Tally {
    /// An empty tally with windows of `window_ms`.
    pub(crate) fn new(window_ms: i64) -> Tally {
        Tally {
            window_ms,
            counts: BTreeMap::new(),
        }
    }

    fn at(&mut self, model: &str, version: &str, t: i64) -> &mut Counts {
        let start = t.div_euclid(self.window_ms) * self.window_ms;
        self.counts
            .entry((start, model.to_string(), version.to_string()))
            .or_default()
    }

    /// A prediction sent at event time `t`; `right` says whether the true
    /// class agrees with it (`None` for a failed inference).
    pub(crate) fn prediction(&mut self, model: &str, version: &str, t: i64, right: Option<bool>) {
        let counts = self.at(model, version, t);
        counts.predictions += 1;
        if let Some(right) = right {
            counts.classified += 1;
            counts.classified_right += u64::from(right);
        }
    }

    /// A label sent at event time `t` (the label's, not the prediction's).
    pub(crate) fn label(&mut self, model: &str, version: &str, t: i64, correct: bool) {
        let counts = self.at(model, version, t);
        counts.labeled += 1;
        counts.correct += u64::from(correct);
    }

    /// The truth, sorted by (window_start, model, version).
    pub(crate) fn finish(self) -> Truth {
        let window_ms = self.window_ms;
        Truth {
            windows: self
                .counts
                .into_iter()
                .map(|((start, model, version), counts)| WindowTruth {
                    model,
                    version,
                    window_start: start,
                    window_end: start + window_ms,
                    counts,
                })
                .collect(),
        }
    }
}

fn write_time<S: Serializer>(ms: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_rfc3339(*ms))
}

fn read_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_rfc3339(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_by_euclidean_window_and_sorts_by_start_model_version() {
        let mut tally = Tally::new(60_000);
        tally.prediction("m", "2", 60_000, Some(true));
        tally.prediction("m", "1", 119_999, None);
        tally.prediction("a", "1", -1, Some(false));
        tally.label("m", "1", 120_000, true);
        tally.label("m", "1", 120_001, false);
        let truth = tally.finish();
        let keys: Vec<(i64, &str, &str)> = truth
            .windows
            .iter()
            .map(|w| (w.window_start, w.model.as_str(), w.version.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                (-60_000, "a", "1"),
                (60_000, "m", "1"),
                (60_000, "m", "2"),
                (120_000, "m", "1")
            ]
        );
        let last = &truth.windows[3];
        assert_eq!(
            (last.window_end, last.counts),
            (
                180_000,
                Counts {
                    predictions: 0,
                    labeled: 2,
                    correct: 1,
                    classified: 0,
                    classified_right: 0,
                }
            )
        );
        assert_eq!(
            (
                truth.windows[2].counts.classified,
                truth.windows[2].counts.classified_right
            ),
            (1, 1)
        );
        assert_eq!(truth.windows[1].counts.classified, 0, "a failed inference");
        let totals = truth.totals();
        assert_eq!(totals[&("m".to_string(), "1".to_string())].labeled, 2);
        assert_eq!(
            totals[&("m".to_string(), "1".to_string())].accuracy(),
            Some(0.5)
        );
    }
}
