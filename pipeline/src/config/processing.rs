//! The sections that shape processing: windows, the join, the runtime's
//! timings, and where baselines come from.

use serde::{Deserialize, Serialize};

/// `[windows]`: event-time tumbling windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WindowsConfig {
    /// Window length in milliseconds of event time.
    pub size_ms: i64,
    /// How long after its end a window still takes events (ms of event time).
    pub allowed_lateness_ms: i64,
    /// Events stamped further than this ahead of the wall clock go to the
    /// dead-letter topic (`future_event_time`): one such event would move
    /// the watermark and close every window of its partition.
    pub max_future_ms: i64,
}

impl Default for WindowsConfig {
    fn default() -> Self {
        WindowsConfig {
            size_ms: 60_000,
            allowed_lateness_ms: 10_000,
            max_future_ms: 3_600_000,
        }
    }
}

/// `[join]`: predictions waiting for labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JoinConfig {
    /// Longest label delay (ms of event time); a prediction without a label
    /// by then counts as unlabeled.
    pub label_ttl_ms: i64,
    /// Labels that may wait for their prediction, per partition.
    pub max_pending_labels: usize,
}

impl Default for JoinConfig {
    fn default() -> Self {
        JoinConfig {
            label_ttl_ms: 3_600_000,
            max_pending_labels: 1_000_000,
        }
    }
}

/// `[runtime]`: timings of the consumer groups (wall-clock milliseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeConfig {
    /// How often stage 1 checkpoints its state and commits offsets.
    pub checkpoint_interval_ms: u64,
    /// An input partition without records for this long is idle and stops
    /// holding the watermark back.
    pub idle_after_ms: u64,
    /// When both inputs of a partition were idle this long, its open windows
    /// are closed (flushed).
    pub flush_after_ms: u64,
    /// Stage 2 emits a window as incomplete when not every source partition
    /// reported within this time after its first partial.
    pub completion_timeout_ms: u64,
    /// Records buffered per partition task; a full buffer pauses consumption.
    /// Pausing costs a refetch (librdkafka drops a paused partition's
    /// prefetched records): at 10,000 the pipeline read at 38-66% of a
    /// plain consumer's rate, at 100,000 at 84-96% (`bench/pipeline_e2e.sh`).
    /// Up to twice this many records per partition are held while its task
    /// is behind.
    pub channel_capacity: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            checkpoint_interval_ms: 2_000,
            idle_after_ms: 3_000,
            flush_after_ms: 10_000,
            completion_timeout_ms: 60_000,
            channel_capacity: 100_000,
        }
    }
}

/// `[baselines]`: training profiles, one per model version, from MLflow
/// (the registry of record) or from a folder (offline).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BaselinesConfig {
    /// Where baselines come from: `mlflow` (each version's
    /// `mlobs.baseline.uri` artifact, refreshed every `mlflow.refresh_ms`,
    /// cached in `mlflow.cache_dir`), `dir` (the files of `dir`, read once
    /// at start), or `auto` (the default): `dir` when `dir` is set, else
    /// `mlflow`.
    pub source: BaselineSource,
    /// Folder holding `<model>/<version>.json` (as written by
    /// `mlobs baseline build` or `mlobs simulate --baselines`); empty: none.
    pub dir: String,
}

/// `baselines.source`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineSource {
    /// `dir` when `baselines.dir` is set, else `mlflow`.
    #[default]
    Auto,
    /// The folder `baselines.dir`.
    Dir,
    /// The MLflow registry at `mlflow.url`.
    Mlflow,
}

impl BaselinesConfig {
    /// True when baselines come from MLflow.
    pub fn from_mlflow(&self) -> bool {
        match self.source {
            BaselineSource::Auto => self.dir.is_empty(),
            BaselineSource::Dir => false,
            BaselineSource::Mlflow => true,
        }
    }
}
