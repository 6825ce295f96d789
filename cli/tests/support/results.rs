//! What a test reads back from its pipeline: window results, alerts,
//! records of its topics, and waiting for the windows to equal the truth.

use std::time::Duration;

use mlobs_testkit::wait_until;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use serde_json::Value;

use super::{Pipeline, DEADLINE};

/// (model, version, window_start, window_end, predictions, labeled, correct)
/// of every window with a count, sorted.
pub type WindowCounts = Vec<(String, String, String, String, u64, u64, u64)>;

impl Pipeline {
    /// Each alert's newest state as `mlobs alerts --format json` prints it.
    pub fn alerts(&self) -> Value {
        serde_json::from_str(&self.succeed(&["alerts", "--format", "json"])).unwrap()
    }

    /// Window results as `mlobs windows --format json` prints them.
    pub fn windows(&self) -> Value {
        serde_json::from_str(&self.succeed(&["windows", "--format", "json"])).unwrap()
    }

    /// Waits up to `timeout` for the window counts to equal `truth`.
    pub fn try_wait_for(&self, truth: &Value, timeout: Duration) -> bool {
        let expected = counts(truth);
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if counts(&self.windows()) == expected {
                return true;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        false
    }

    /// Waits until the window counts equal `truth`; returns the windows.
    pub fn wait_for(&self, truth: &Value, timeout: Duration) -> Value {
        let expected = counts(truth);
        let mut last = Value::Null;
        let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_until(timeout, "window counts equal to the truth", || {
                last = self.windows();
                (counts(&last) == expected).then(|| last.clone())
            })
        }));
        found.unwrap_or_else(|_| {
            panic!(
                "window counts never equalled the truth.\nexpected {expected:?}\nlast seen {:?}\nlogs in {}\n{}",
                counts(&last),
                self.dir.display(),
                self.log_tails(60)
            )
        })
    }

    /// The last `lines` lines of every instance's log, for a failure
    /// message: CI keeps the test's output, not its folder.
    pub fn log_tails(&self, lines: usize) -> String {
        let mut logs: Vec<_> = std::fs::read_dir(&self.dir)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        logs.retain(|path| path.extension().is_some_and(|e| e == "log"));
        logs.sort();
        logs.iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let all: Vec<&str> = text.lines().collect();
                let tail = all[all.len().saturating_sub(lines)..].join("\n");
                format!("--- {} (last {lines} lines)\n{tail}", path.display())
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every record of one of this pipeline's topics (`dlq`, ...), once
    /// `expected` arrived or the deadline passed.
    pub fn consume(&self, topic: &str, expected: usize) -> Vec<rdkafka::message::OwnedMessage> {
        mlobs_testkit::consume_all_at(&self.brokers(), &self.topic(topic), expected, DEADLINE)
    }

    /// Records written to one of this pipeline's topics so far.
    pub fn records_in(&self, topic: &str) -> i64 {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.brokers())
            .create()
            .unwrap();
        (0..self.partitions)
            .map(|p| {
                consumer
                    .fetch_watermarks(&self.topic(topic), p, Duration::from_secs(10))
                    .map_or(0, |(_, high)| high)
            })
            .sum()
    }
}

/// The [`WindowCounts`] of windows as `mlobs windows --format json` prints them.
pub fn counts(windows: &Value) -> WindowCounts {
    let mut rows: Vec<_> = windows
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|w| {
            let text = |k: &str| w[k].as_str().unwrap_or_default().to_string();
            let number = |k: &str| w[k].as_u64().unwrap_or_default();
            (
                text("model"),
                text("version"),
                text("window_start"),
                text("window_end"),
                number("predictions"),
                number("labeled"),
                number("correct"),
            )
        })
        .filter(|row| row.4 + row.5 + row.6 > 0)
        .collect();
    rows.sort();
    rows
}
