//! The pipeline's own metrics: dead letters, events outside windows, sinks,
//! join state, consumer lag, checkpoints, group membership.

use std::time::Duration;

use super::Metrics;

impl Metrics {
    /// Counts a record sent to the dead-letter topic.
    pub fn rejected(&self, reason: &str) {
        self.rejected.with_label_values(&[reason]).inc();
    }

    /// Adds `count` events that did not count in a window for `reason`.
    pub fn not_windowed(&self, reason: &str, count: u64) {
        if count > 0 {
            self.not_windowed.with_label_values(&[reason]).inc_by(count);
        }
    }

    /// Records a successful batch write of `rows` rows.
    pub fn sink_write(&self, sink: &str, table: &str, took: Duration, rows: usize) {
        self.sink_seconds
            .with_label_values(&[sink, table])
            .observe(took.as_secs_f64());
        self.sink_rows
            .with_label_values(&[sink, table])
            .inc_by(rows as u64);
        // Touch the failures too: a rate of 0 failures is a rate, not absent.
        self.sink_failures.with_label_values(&[sink, table]);
    }

    /// Counts `count` records a stage read from Kafka.
    pub fn consumed(&self, stage: &str, count: usize) {
        self.consumed
            .with_label_values(&[stage])
            .inc_by(count as u64);
    }

    /// Sets whether this process is ready (what `/readyz` answers).
    pub fn ready(&self, ready: bool) {
        self.ready.set(i64::from(ready));
    }

    /// Records a failed batch write.
    pub fn sink_failure(&self, sink: &str, table: &str) {
        self.sink_failures.with_label_values(&[sink, table]).inc();
    }

    /// Sets the join state size of a partition (`None` removes it: the
    /// partition moved elsewhere).
    pub fn join_state(&self, partition: i32, size: Option<(usize, usize)>) {
        let label = [partition.to_string()];
        let label = [label[0].as_str()];
        match size {
            Some((predictions, labels)) => {
                self.join_predictions
                    .with_label_values(&label)
                    .set(predictions as i64);
                self.join_labels
                    .with_label_values(&label)
                    .set(labels as i64);
            }
            None => {
                let _ = self.join_predictions.remove_label_values(&label);
                let _ = self.join_labels.remove_label_values(&label);
            }
        }
    }

    /// Sets the lag of a consumer group on an input partition.
    pub fn lag(&self, group: &str, topic: &str, partition: i32, lag: i64) {
        let partition = partition.to_string();
        self.lag
            .with_label_values(&[group, topic, &partition])
            .set(lag);
    }

    /// Adds `count` values that met the `kind` cap.
    pub fn capped(&self, kind: &str, count: u64) {
        if count > 0 {
            self.capped.with_label_values(&[kind]).inc_by(count);
        }
    }

    /// A partition of `stage` was restored from its checkpoint, replaying
    /// `replayed` input records after the snapshot.
    pub fn restored(&self, stage: &str, replayed: u64) {
        self.restores.with_label_values(&[stage]).inc();
        self.replayed.with_label_values(&[stage]).inc_by(replayed);
    }

    /// A checkpoint of `kind` wrote `bytes` to the changelog.
    pub fn checkpoint_written(&self, kind: &str, bytes: usize) {
        self.checkpoint_bytes
            .with_label_values(&[kind])
            .inc_by(bytes as u64);
    }

    /// `stage` now owns `partitions` partitions in this process.
    pub fn assigned(&self, stage: &str, partitions: usize) {
        self.assignments
            .with_label_values(&[stage])
            .set(partitions as i64);
    }

    /// Whether `model`/`version`, seen in predictions, lacks a baseline.
    pub fn baseline_missing(&self, model: &str, version: &str, missing: bool) {
        self.baseline_missing
            .with_label_values(&[model, version])
            .set(i64::from(missing));
    }
}
