//! The span of a model's history: where "now" is for data in the past.

use super::sql::quote;
use super::{num, ToolError, Tools};

/// First window start, last window end and window size of a model's
/// history, all in ms (from `window_metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistorySpan {
    /// Start of the oldest window.
    pub start_ms: i64,
    /// End of the newest window: "now" for an investigation of this model.
    pub end_ms: i64,
    /// Size of one window.
    pub window_ms: i64,
}

impl Tools {
    /// The span of `model`'s windows, so that an investigation of replayed
    /// or simulated data (whose event time is in the past) ends where the
    /// data ends instead of at the wall clock.
    pub fn history_span(&self, model: &str) -> Result<HistorySpan, ToolError> {
        let model = self.resolve(model)?;
        let rows = self.rows(&format!(
            "SELECT count() AS n, min(window_start_ms) AS s, \
             max(toInt64(toUInt32(window_end)) * 1000) AS e, \
             min(toInt64(toUInt32(window_end)) * 1000 - window_start_ms) AS w \
             FROM {} FINAL WHERE model = {}",
            self.table("window_metrics"),
            quote(&model.model)
        ))?;
        let row = rows.first().cloned().unwrap_or_default();
        let n = num(&row["n"]).unwrap_or(0.0);
        if n < 1.0 {
            return Err(ToolError::EmptyWindow {
                what: "evaluation windows (window_metrics)".into(),
                model: model.label(),
                start: "the beginning".into(),
                end: "now".into(),
            });
        }
        let ms = |k: &str| num(&row[k]).unwrap_or(0.0) as i64;
        Ok(HistorySpan {
            start_ms: ms("s"),
            end_ms: ms("e"),
            window_ms: ms("w").max(1),
        })
    }
}

/// One window of a model, all versions together (what the Verify node
/// judges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowTotals {
    /// Window start (ms).
    pub start_ms: i64,
    /// Predictions with a label.
    pub labeled: u64,
    /// Of which right.
    pub correct: u64,
}

impl Tools {
    /// `model`'s windows that start at or after `after_ms`, in order, with
    /// every version's counts added up.
    pub fn windows_after(
        &self,
        model: &str,
        after_ms: i64,
    ) -> Result<Vec<WindowTotals>, ToolError> {
        let model = self.resolve(model)?;
        let rows = self.rows(&format!(
            "SELECT window_start_ms AS s, sum(labeled) AS l, sum(correct) AS c \
             FROM {} FINAL WHERE model = {} AND window_start_ms >= {after_ms} \
             GROUP BY window_start_ms ORDER BY window_start_ms",
            self.table("window_metrics"),
            quote(&model.model)
        ))?;
        let n = |row: &serde_json::Value, k: &str| num(&row[k]).unwrap_or(0.0);
        Ok(rows
            .iter()
            .map(|row| WindowTotals {
                start_ms: n(row, "s") as i64,
                labeled: n(row, "l") as u64,
                correct: n(row, "c") as u64,
            })
            .collect())
    }
}

impl Tools {
    /// The newest prediction time (ms) of `model` in the history: where
    /// event time stands when a remedy takes effect, so that verification
    /// judges only windows that start after it.
    pub fn newest_prediction_ms(&self, model: &str) -> Result<i64, ToolError> {
        let model = self.resolve(model)?;
        let rows = self.rows(&format!(
            "SELECT max(event_time_ms) AS t FROM {} WHERE model = {}",
            self.table("inference_log"),
            quote(&model.model)
        ))?;
        Ok(rows.first().and_then(|row| num(&row["t"])).unwrap_or(0.0) as i64)
    }
}
