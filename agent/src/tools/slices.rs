//! `find_error_slices(model_name, time_window, target, min_support)`:
//! where bad predictions concentrate. Each numeric feature is cut into
//! quartiles, each categorical feature by value, and a missing value is a
//! slice of its own; every slice gets its bad rate, lift (its rate over
//! the overall rate) and support (its share of rows). Bad means failed
//! (`target = "errors"`) or labeled and wrong (`"incorrect"`). Slices are
//! computed in memory from the window's rows (at most [`MAX_ROWS`], the
//! newest), by pure code.

use std::collections::BTreeMap;

use serde::Serialize;

use super::sql::{model_filter, time_filter};
use super::stats::{lift_and_support, quantile_edges, SliceCounts};
use super::{count, ModelRef, Range, ToolError, Tools};

/// Rows read at most.
pub const MAX_ROWS: usize = 200_000;
/// Slices returned at most.
pub const TOP: usize = 20;

/// One prediction as the slicer sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// Numeric features present.
    pub numeric: Vec<(String, f64)>,
    /// Categorical features present.
    pub categorical: Vec<(String, String)>,
    /// Features missing.
    pub missing: Vec<String>,
    /// Failed or wrong.
    pub bad: bool,
}

/// A slice and its numbers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Slice {
    /// The feature.
    pub feature: String,
    /// `[lo, hi)` for numbers (null for an open end), a value, or missing.
    pub condition: String,
    /// Rows in the slice.
    pub rows: u64,
    /// Bad rows in it.
    pub bad: u64,
    /// bad / rows, fraction 0..1.
    pub bad_rate: f64,
    /// bad_rate over the overall bad rate (>1: concentrates).
    pub lift: f64,
    /// rows / all rows, fraction 0..1.
    pub support: f64,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Slices {
    /// Model and version asked about.
    pub model: ModelRef,
    /// The range covered.
    pub range: Range,
    /// errors or incorrect.
    pub target: String,
    /// Rows examined.
    pub rows: u64,
    /// Bad rows among them.
    pub bad: u64,
    /// Slices with lift > 1 and support >= min_support, highest lift first.
    pub slices: Vec<Slice>,
}

/// The slices of `records`, lift > 1 and support >= `min_support`, by
/// lift then support, at most [`TOP`].
pub fn find_slices(records: &[Record], min_support: f64) -> Vec<Slice> {
    let total = SliceCounts {
        rows: records.len() as u64,
        bad: records.iter().filter(|r| r.bad).count() as u64,
    };
    let mut counts: BTreeMap<(String, String), SliceCounts> = BTreeMap::new();
    let mut add = |feature: &str, condition: String, bad: bool| {
        let c = counts
            .entry((feature.to_string(), condition))
            .or_insert(SliceCounts { rows: 0, bad: 0 });
        c.rows += 1;
        c.bad += u64::from(bad);
    };
    let mut values: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for r in records {
        for (f, v) in &r.numeric {
            if v.is_finite() {
                values.entry(f).or_default().push(*v);
            }
        }
    }
    let edges: BTreeMap<&str, Vec<f64>> = values
        .into_iter()
        .map(|(f, mut v)| {
            v.sort_by(f64::total_cmp);
            (f, quantile_edges(&v, 4))
        })
        .collect();
    for r in records {
        for (f, v) in &r.numeric {
            let e = edges.get(f.as_str()).map_or(&[][..], |e| &e[..]);
            let i = e.partition_point(|edge| edge <= v);
            let lo = if i == 0 {
                "-inf".to_string()
            } else {
                e[i - 1].to_string()
            };
            let hi = if i == e.len() {
                "inf".to_string()
            } else {
                e[i].to_string()
            };
            add(f, format!("[{lo}, {hi})"), r.bad);
        }
        for (f, v) in &r.categorical {
            add(f, format!("= {v}"), r.bad);
        }
        for f in &r.missing {
            add(f, "missing".into(), r.bad);
        }
    }
    let mut slices: Vec<Slice> = counts
        .into_iter()
        .filter_map(|((feature, condition), c)| {
            let (lift, support) = lift_and_support(c, total);
            let lift = lift?;
            (lift > 1.0 && support >= min_support).then(|| Slice {
                feature,
                condition,
                rows: c.rows,
                bad: c.bad,
                bad_rate: c.bad as f64 / c.rows as f64,
                lift,
                support,
            })
        })
        .collect();
    slices.sort_by(|a, b| {
        b.lift
            .total_cmp(&a.lift)
            .then(b.support.total_cmp(&a.support))
    });
    slices.truncate(TOP);
    slices
}

impl Tools {
    /// See the module documentation. `target` is "errors" (default) or
    /// "incorrect"; `min_support` defaults to 0.05.
    pub fn find_error_slices(
        &self,
        model_name: &str,
        time_window: &str,
        target: Option<&str>,
        min_support: Option<f64>,
    ) -> Result<Slices, ToolError> {
        let model = self.resolve(model_name)?;
        let window = self.window(time_window)?;
        let target = target.unwrap_or("errors");
        let min_support = min_support.unwrap_or(0.05);
        if !(0.0..=1.0).contains(&min_support) {
            return Err(ToolError::bad(
                "min_support",
                &min_support.to_string(),
                "a share of rows in [0, 1]",
            ));
        }
        let logs = format!(
            "SELECT prediction_id, numeric_feature_names, numeric_feature_values, categorical_feature_names, \
             categorical_feature_values, missing_features, isNotNull(error_type) AS failed FROM {} WHERE {} AND {} \
             ORDER BY event_time_ms DESC LIMIT {MAX_ROWS}",
            self.table("inference_log"),
            model_filter(&model),
            time_filter("event_time_ms", &window)
        );
        let sql = match target {
            "errors" => format!("SELECT *, failed AS bad FROM ({logs})"),
            "incorrect" => format!(
                "SELECT *, correct = 0 AS bad FROM ({logs}) ALL INNER JOIN (SELECT prediction_id, ifNull(correct, 1) AS correct \
                 FROM {} FINAL WHERE {}) USING prediction_id",
                self.table("outcomes"),
                model_filter(&model)
            ),
            other => return Err(ToolError::bad("target", other, "errors or incorrect")),
        };
        let records: Vec<Record> = self
            .rows(&sql)?
            .iter()
            .map(|r| {
                let features = super::row_features(r);
                Record {
                    numeric: features.numeric,
                    categorical: features.categorical,
                    missing: features.missing,
                    bad: count(&r["bad"]) == 1,
                }
            })
            .collect();
        if records.is_empty() {
            let r = window.range();
            let what = if target == "incorrect" {
                "labeled predictions"
            } else {
                "predictions"
            };
            return Err(ToolError::EmptyWindow {
                what: what.into(),
                model: model.label(),
                start: r.start,
                end: r.end,
            });
        }
        Ok(Slices {
            rows: records.len() as u64,
            bad: records.iter().filter(|r| r.bad).count() as u64,
            slices: find_slices(&records, min_support),
            model,
            range: window.range(),
            target: target.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_in_one_category_and_range_are_found_with_their_lift() {
        // 400 rows: plan "gold" (a quarter) fails 60% of the time, the
        // rest 4%; tenure is unrelated.
        let records: Vec<Record> = (0..400)
            .map(|i| {
                let gold = i % 4 == 0;
                Record {
                    numeric: vec![("tenure".into(), f64::from(i % 50))],
                    categorical: vec![("plan".into(), if gold { "gold" } else { "basic" }.into())],
                    missing: vec![],
                    bad: if gold { i % 10 < 6 } else { i % 25 == 1 },
                }
            })
            .collect();
        let bad = records.iter().filter(|r| r.bad).count() as f64;
        let slices = find_slices(&records, 0.05);
        let top = &slices[0];
        assert_eq!(
            (top.feature.as_str(), top.condition.as_str()),
            ("plan", "= gold")
        );
        assert_eq!(top.rows, 100);
        assert!((top.support - 0.25).abs() < 1e-12);
        assert!((top.lift - (top.bad as f64 / 100.0) / (bad / 400.0)).abs() < 1e-12);
        assert!(top.lift > 2.0, "{top:?}");
        assert!(slices.iter().all(|s| s.lift > 1.0 && s.support >= 0.05));
    }

    #[test]
    fn a_missing_value_is_a_slice() {
        let records: Vec<Record> = (0..100)
            .map(|i| Record {
                missing: if i < 20 { vec!["age".into()] } else { vec![] },
                bad: i < 15,
                ..Record::default()
            })
            .collect();
        let slices = find_slices(&records, 0.0);
        assert_eq!(slices[0].condition, "missing");
        assert_eq!((slices[0].rows, slices[0].bad), (20, 15));
    }
}
