//! `compare_model_versions(model_a, model_b)`: two versions (or models)
//! on the same time range, so that a difference is not a difference of
//! traffic periods: by default the overlap of the ranges in which both
//! made predictions (an optional `time_window` narrows it). Accuracy and
//! error rate with counts, each with a pooled two-proportion z-test.

use serde::Serialize;

use super::sql::{model_filter, time_filter};
use super::stats::two_proportion_z;
use super::{count, num, ModelRef, Range, TimeWindow, ToolError, Tools};

/// One side's counts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Side {
    /// The model and version.
    pub model: ModelRef,
    /// Predictions in the range.
    pub predictions: u64,
    /// Of which failed (error_type set).
    pub errors: u64,
    /// errors / predictions, fraction 0..1.
    pub error_rate: Option<f64>,
    /// Labeled predictions in the range.
    pub labeled: u64,
    /// Of which correct.
    pub correct: u64,
    /// correct / labeled, fraction 0..1.
    pub accuracy: Option<f64>,
    /// p95 latency, milliseconds.
    pub latency_p95_ms: Option<f64>,
}

/// A two-proportion z-test of a over b.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Test {
    /// What is compared (accuracy, error_rate).
    pub metric: &'static str,
    /// a minus b, fraction.
    pub difference: Option<f64>,
    /// The z statistic.
    pub z: Option<f64>,
    /// Two-sided p-value.
    pub p_value: Option<f64>,
    /// p < 0.05.
    pub significant: bool,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The shared range both sides are measured on.
    pub range: Range,
    /// First side.
    pub a: Side,
    /// Second side.
    pub b: Side,
    /// Accuracy and error rate tests.
    pub tests: Vec<Test>,
}

/// The z-test of `a_hits/a_n` against `b_hits/b_n`, named `metric`.
pub fn test(metric: &'static str, a_hits: u64, a_n: u64, b_hits: u64, b_n: u64) -> Test {
    let rate = |h: u64, n: u64| (n > 0).then(|| h as f64 / n as f64);
    let difference = rate(a_hits, a_n).zip(rate(b_hits, b_n)).map(|(a, b)| a - b);
    let zp = two_proportion_z(a_hits, a_n, b_hits, b_n);
    Test {
        metric,
        difference,
        z: zp.map(|x| x.0),
        p_value: zp.map(|x| x.1),
        significant: zp.is_some_and(|x| x.1 < 0.05),
    }
}

impl Tools {
    /// See the module documentation.
    pub fn compare_model_versions(
        &self,
        model_a: &str,
        model_b: &str,
        time_window: Option<&str>,
    ) -> Result<Comparison, ToolError> {
        let (a, b) = (self.resolve(model_a)?, self.resolve(model_b)?);
        let span = |m: &ModelRef| -> Result<(i64, i64), ToolError> {
            let rows = self.rows(&format!(
                "SELECT min(event_time_ms) AS lo, max(event_time_ms) AS hi FROM {} WHERE {}",
                self.table("inference_log"),
                model_filter(m)
            ))?;
            let row = rows.first().cloned().unwrap_or_default();
            Ok((
                num(&row["lo"]).unwrap_or(0.0) as i64,
                num(&row["hi"]).unwrap_or(0.0) as i64,
            ))
        };
        let (sa, sb) = (span(&a)?, span(&b)?);
        let mut window = TimeWindow {
            start_ms: sa.0.max(sb.0),
            end_ms: sa.1.min(sb.1) + 1,
        };
        if let Some(text) = time_window {
            let asked = self.window(text)?;
            window.start_ms = window.start_ms.max(asked.start_ms);
            window.end_ms = window.end_ms.min(asked.end_ms);
        }
        if window.end_ms <= window.start_ms {
            return Err(ToolError::EmptyWindow {
                what: format!("overlapping traffic of {} and {}", a.label(), b.label()),
                model: format!("{} vs {}", a.label(), b.label()),
                start: TimeWindow {
                    start_ms: sa.0,
                    end_ms: sa.1,
                }
                .range()
                .start,
                end: TimeWindow {
                    start_ms: sb.0,
                    end_ms: sb.1,
                }
                .range()
                .end,
            });
        }
        let (sa, sb) = (self.side(a, &window)?, self.side(b, &window)?);
        let tests = vec![
            test("accuracy", sa.correct, sa.labeled, sb.correct, sb.labeled),
            test(
                "error_rate",
                sa.errors,
                sa.predictions,
                sb.errors,
                sb.predictions,
            ),
        ];
        Ok(Comparison {
            range: window.range(),
            a: sa,
            b: sb,
            tests,
        })
    }

    fn side(&self, model: ModelRef, window: &TimeWindow) -> Result<Side, ToolError> {
        let logs = self.rows(&format!(
            "SELECT count() AS n, countIf(isNotNull(error_type)) AS errors, \
             quantileExact(0.95)(latency_ms) AS p95 FROM {} WHERE {} AND {}",
            self.table("inference_log"),
            model_filter(&model),
            time_filter("event_time_ms", window)
        ))?;
        let outcomes = self.rows(&format!(
            "SELECT count() AS n, sum(ifNull(correct, 0)) AS correct FROM {} FINAL WHERE {} AND {}",
            self.table("outcomes"),
            model_filter(&model),
            time_filter("prediction_time_ms", window)
        ))?;
        let (l, o) = (
            logs.first().cloned().unwrap_or_default(),
            outcomes.first().cloned().unwrap_or_default(),
        );
        let (predictions, errors, labeled, correct) = (
            count(&l["n"]),
            count(&l["errors"]),
            count(&o["n"]),
            count(&o["correct"]),
        );
        let rate = |h: u64, n: u64| (n > 0).then(|| h as f64 / n as f64);
        Ok(Side {
            model,
            predictions,
            errors,
            error_rate: rate(errors, predictions),
            labeled,
            correct,
            accuracy: rate(correct, labeled),
            latency_p95_ms: num(&l["p95"]).filter(|_| predictions > 0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_gap_is_significant_and_a_tie_is_not() {
        let t = test("accuracy", 955, 1000, 878, 1000);
        assert!(t.significant && (t.difference.unwrap() - 0.077).abs() < 1e-12);
        let t = test("accuracy", 48, 50, 47, 50);
        assert!(!t.significant, "{t:?}");
        assert!(!test("accuracy", 0, 0, 1, 2).significant);
    }
}
