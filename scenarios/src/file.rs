//! The scenario file exactly as written: serde mirrors of the TOML tables
//! with `deny_unknown_fields`, so that a misspelt key is refused with the
//! list of keys allowed there. What the values mean, and the checks that the
//! types cannot express, are in `model.rs` and `injections.rs`.
//! docs/scenarios.md documents every key.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub seed: u64,
    pub start: String,
    pub duration: String,
    #[serde(default)]
    pub speedup: f64,
    pub rate: f64,
    pub models: Vec<ModelFile>,
    #[serde(default)]
    pub drift: Vec<DriftFile>,
    #[serde(default)]
    pub faults: Vec<FaultFile>,
}

/// `[[models]]`: one served model, its world and its versions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub name: String,
    pub classes: Vec<String>,
    #[serde(default = "one")]
    pub share: f64,
    pub training_rows: usize,
    pub latency_ms: Option<LatencyFile>,
    pub features: Vec<FeatureFile>,
    pub truth: RelationFile,
    pub versions: Vec<VersionFile>,
    #[serde(default)]
    pub traffic: Vec<TrafficFile>,
    pub labels: LabelsFile,
    #[serde(default)]
    pub serving: Option<String>,
}

fn one() -> f64 {
    1.0
}

/// `[[models.features]]`: a feature and the distribution it is drawn from.
/// Which parameters are allowed depends on `distribution`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureFile {
    pub name: String,
    pub distribution: String,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    pub median: Option<f64>,
    pub sigma: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub categories: Option<BTreeMap<String, f64>>,
}

/// `latency_ms = { median, sigma }`: lognormal inference latency.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyFile {
    pub median: f64,
    pub sigma: f64,
}

/// `[models.truth]`: the logistic relationship that decides the true class.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationFile {
    #[serde(default)]
    pub intercept: f64,
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
    #[serde(default)]
    pub effects: BTreeMap<String, BTreeMap<String, f64>>,
}

/// `[[models.versions]]`: a trained version and its quirks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionFile {
    pub name: String,
    pub training_rows: Option<usize>,
    #[serde(default)]
    pub flip_sign: Vec<String>,
    #[serde(default)]
    pub drop_features: Vec<String>,
    pub latency_ms: Option<LatencyFile>,
}

/// `[[models.traffic]]`: version weights from `at` on.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficFile {
    pub at: String,
    pub weights: BTreeMap<String, f64>,
}

/// `[models.labels]`: which predictions get a label, and when.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsFile {
    #[serde(default = "one")]
    pub coverage: f64,
    pub delay: DelayFile,
}

/// `delay = { distribution, ... }`: time from a prediction to its label.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelayFile {
    pub distribution: String,
    pub mean: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
}

/// `[[drift]]`: a change to one feature from `at` (until `until`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftFile {
    pub model: Option<String>,
    pub feature: String,
    pub kind: String,
    pub at: String,
    pub until: Option<String>,
    pub affects: Option<String>,
    pub by: Option<f64>,
    pub factor: Option<f64>,
    pub value: Option<String>,
    pub weight: Option<f64>,
    pub rate: Option<f64>,
}

/// `[[faults]]`: something going wrong in serving between two instants.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    pub kind: String,
    pub from: String,
    pub until: String,
    pub model: Option<String>,
    pub version: Option<String>,
    pub factor: Option<f64>,
    pub rate: Option<f64>,
    #[serde(rename = "type")]
    pub error_type: Option<String>,
    pub message: Option<String>,
    pub gpu_utilization: Option<f64>,
}
