//! `get_feature_distribution(feature_name, time_window, model_name?)`:
//! the feature as served in the window against its training baseline.
//! Numbers: summary and percentiles 1..99; categories: the top values with
//! their shares, and the values the baseline never saw; both: the missing
//! rate. The baseline is the profile the caller gave ([`Tools::with_baseline`],
//! from `baselines.dir`), else the one published to MLflow for the
//! champion (or else the newest version carrying one). A feature name
//! that several models have needs `model_name`.

use std::collections::BTreeMap;

use mlobs_operators::baseline::{Baseline, FeatureProfile};
use serde::Serialize;

use super::sql::{model_filter, quote, time_filter};
use super::{count, num, text, ModelRef, Range, ToolError, Tools};

/// Percentiles reported, as fractions.
pub const PERCENTILES: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
/// Categories reported at most.
pub const TOP_CATEGORIES: usize = 10;

/// One side (current or baseline) of a distribution.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Side {
    /// Values present.
    pub count: u64,
    /// Values missing.
    pub missing: u64,
    /// missing / (count + missing), fraction 0..1.
    pub missing_rate: f64,
    /// Mean (numeric), in the feature's unit.
    pub mean: Option<f64>,
    /// Population standard deviation (numeric).
    pub std: Option<f64>,
    /// Minimum (numeric).
    pub min: Option<f64>,
    /// Maximum (numeric).
    pub max: Option<f64>,
    /// Percentiles by name ("p1" .. "p99"), in the feature's unit.
    pub percentiles: BTreeMap<String, f64>,
    /// Most frequent categories and their share of present values (0..1).
    pub top_categories: Vec<(String, f64)>,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    /// The feature.
    pub feature: String,
    /// numeric or categorical.
    pub kind: String,
    /// The model (and version) it was read for.
    pub model: ModelRef,
    /// The range of the current side.
    pub range: Range,
    /// As served in the range.
    pub current: Side,
    /// As in training; null when no baseline is known.
    pub baseline: Option<Side>,
    /// Where the baseline came from (a file, mlflow:model/version).
    pub baseline_source: Option<String>,
    /// Current categories the baseline never saw, with their counts.
    pub unseen_values: Vec<(String, u64)>,
}

/// The baseline side of `profile`.
pub fn baseline_side(profile: &FeatureProfile) -> Side {
    match profile {
        FeatureProfile::Numeric(p) => {
            let s = &p.summary;
            let total = s.count + s.missing;
            Side {
                count: s.count,
                missing: s.missing,
                missing_rate: if total == 0 {
                    0.0
                } else {
                    s.missing as f64 / total as f64
                },
                mean: s.mean,
                std: s.std,
                min: s.min,
                max: s.max,
                percentiles: p
                    .percentiles
                    .iter()
                    // The profile names them "p1".."p99" already (older
                    // files: "1".."99"); the current side uses the same.
                    .map(|(k, v)| match k.starts_with('p') {
                        true => (k.clone(), *v),
                        false => (format!("p{k}"), *v),
                    })
                    .collect(),
                top_categories: vec![],
            }
        }
        FeatureProfile::Categorical(p) => {
            let mut top: Vec<(String, f64)> =
                p.frequencies.iter().map(|(k, v)| (k.clone(), *v)).collect();
            top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            top.truncate(TOP_CATEGORIES);
            Side {
                count: p.count,
                missing: p.missing,
                missing_rate: p.missing_rate,
                top_categories: top,
                ..Side::default()
            }
        }
    }
}

/// Current categories (with counts) absent from the baseline's categories.
/// A baseline that kept only its most frequent categories (`other` > 0)
/// may have seen more: such values are still listed, as not in the profile.
pub fn unseen(current: &[(String, u64)], profile: &FeatureProfile) -> Vec<(String, u64)> {
    match profile {
        FeatureProfile::Categorical(p) => current
            .iter()
            .filter(|(v, _)| !p.counts.contains_key(v))
            .cloned()
            .collect(),
        FeatureProfile::Numeric(_) => vec![],
    }
}

impl Tools {
    /// See the module documentation.
    pub fn get_feature_distribution(
        &self,
        feature_name: &str,
        time_window: &str,
        model_name: Option<&str>,
    ) -> Result<Distribution, ToolError> {
        let window = self.window(time_window)?;
        let f = quote(feature_name);
        let logs = self.table("inference_log");
        let model = match model_name {
            Some(m) => self.resolve(m)?,
            None => {
                // Models that had the feature in the window (a bounded read).
                let having = self.rows(&format!(
                    "SELECT DISTINCT model FROM {logs} WHERE {} AND (has(numeric_feature_names, {f}) \
                     OR has(categorical_feature_names, {f}) OR has(missing_features, {f})) ORDER BY model",
                    time_filter("event_time_ms", &window)
                ))?;
                let models: Vec<String> = having.iter().map(|r| text(&r["model"])).collect();
                match models.as_slice() {
                    [one] => ModelRef {
                        model: one.clone(),
                        version: None,
                    },
                    [] => return Err(self.unknown_feature(feature_name, None)?),
                    _ => {
                        return Err(ToolError::AmbiguousFeature {
                            feature: feature_name.into(),
                            models,
                        })
                    }
                }
            }
        };
        let scope = format!(
            "{} AND {}",
            model_filter(&model),
            time_filter("event_time_ms", &window)
        );
        let numeric_value = format!("numeric_feature_values[indexOf(numeric_feature_names, {f})]");
        let category =
            format!("categorical_feature_values[indexOf(categorical_feature_names, {f})]");
        let head = self.rows(&format!(
            "SELECT countIf(has(numeric_feature_names, {f})) AS numeric, countIf(has(categorical_feature_names, {f})) AS categorical, \
             countIf(has(missing_features, {f})) AS missing FROM {logs} WHERE {scope}"
        ))?;
        let head = head.first().cloned().unwrap_or_default();
        let (n_num, n_cat, missing) = (
            count(&head["numeric"]),
            count(&head["categorical"]),
            count(&head["missing"]),
        );
        if n_num + n_cat + missing == 0 {
            let known = self.unknown_feature(feature_name, Some(&model.model))?;
            let any = self.count_rows(&format!("SELECT count() FROM {logs} WHERE {scope}"))?;
            if any > 0 {
                return Err(known);
            }
            let r = window.range();
            return Err(ToolError::EmptyWindow {
                what: "predictions".into(),
                model: model.label(),
                start: r.start,
                end: r.end,
            });
        }
        let total = n_num + n_cat + missing;
        let mut current = Side {
            count: n_num + n_cat,
            missing,
            missing_rate: missing as f64 / total as f64,
            ..Side::default()
        };
        let mut values: Vec<(String, u64)> = Vec::new();
        let kind = if n_num >= n_cat {
            "numeric"
        } else {
            "categorical"
        };
        if kind == "numeric" {
            let qs: Vec<String> = PERCENTILES.iter().map(|q| q.to_string()).collect();
            let r = self.rows(&format!(
                "SELECT avg(x) AS mean, stddevPop(x) AS std, min(x) AS lo, max(x) AS hi, quantilesExact({})(x) AS q \
                 FROM (SELECT {numeric_value} AS x FROM {logs} WHERE {scope} AND has(numeric_feature_names, {f}))",
                qs.join(", ")
            ))?;
            let r = r.first().cloned().unwrap_or_default();
            (current.mean, current.std, current.min, current.max) = (
                num(&r["mean"]),
                num(&r["std"]),
                num(&r["lo"]),
                num(&r["hi"]),
            );
            let q = r["q"].as_array().cloned().unwrap_or_default();
            current.percentiles = PERCENTILES
                .iter()
                .zip(q.iter())
                .filter_map(|(p, v)| Some((format!("p{}", (p * 100.0).round()), num(v)?)))
                .collect();
        } else {
            values = self
                .rows(&format!(
                    "SELECT {category} AS v, count() AS n FROM {logs} WHERE {scope} AND has(categorical_feature_names, {f}) \
                     GROUP BY v ORDER BY n DESC, v"
                ))?
                .iter()
                .map(|r| (text(&r["v"]), count(&r["n"])))
                .collect();
            current.top_categories = values
                .iter()
                .take(TOP_CATEGORIES)
                .map(|(v, n)| (v.clone(), *n as f64 / n_cat.max(1) as f64))
                .collect();
        }
        let found = self.baseline_of(&model.model);
        let profile = found
            .as_ref()
            .and_then(|(b, _)| b.features.get(feature_name));
        Ok(Distribution {
            feature: feature_name.into(),
            kind: kind.into(),
            range: window.range(),
            current,
            baseline: profile.map(baseline_side),
            baseline_source: profile.and(found.as_ref().map(|(_, s)| s.clone())),
            unseen_values: profile.map(|p| unseen(&values, p)).unwrap_or_default(),
            model,
        })
    }

    fn count_rows(&self, sql: &str) -> Result<u64, ToolError> {
        Ok(self.clickhouse.count(sql)?)
    }

    /// The error for a feature not found, listing the features there are.
    fn unknown_feature(&self, feature: &str, model: Option<&str>) -> Result<ToolError, ToolError> {
        let scope = model
            .map(|m| format!("WHERE model = {}", quote(m)))
            .unwrap_or_default();
        let rows = self.rows(&format!(
            "SELECT DISTINCT arrayJoin(arrayConcat(numeric_feature_names, categorical_feature_names, missing_features)) AS f \
             FROM {} {scope} ORDER BY f",
            self.table("inference_log")
        ))?;
        Ok(ToolError::UnknownFeature {
            feature: feature.into(),
            scope: model.map(String::from),
            known: rows.iter().map(|r| text(&r["f"])).collect(),
        })
    }

    /// The baseline of `model` and where it came from: the caller's, else
    /// MLflow's (champion first, else the highest version). An unreachable
    /// MLflow means no baseline, not a failed answer: the current side
    /// still helps.
    fn baseline_of(&self, model: &str) -> Option<(Baseline, String)> {
        if let Some(b) = self.baselines.get(model) {
            return Some((b.clone(), "baselines.dir".into()));
        }
        let registry = self.registry.as_ref()?;
        let published = mlobs_registry::baseline::list(registry).ok()?;
        let champion = registry
            .alias(model, "champion")
            .ok()
            .flatten()
            .map(|v| v.version);
        let mut mine: Vec<_> = published.into_iter().filter(|p| p.model == model).collect();
        mine.sort_by_key(|p| {
            (
                Some(&p.version) == champion.as_ref(),
                p.version.parse::<u64>().unwrap_or(0),
            )
        });
        let chosen = mine.pop()?;
        let text = mlobs_registry::baseline::fetch(registry, &chosen.uri).ok()?;
        let baseline = Baseline::from_json(&text).ok()?;
        Some((
            baseline,
            format!("mlflow:{}/{}", chosen.model, chosen.version),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlobs_operators::baseline::CategoricalProfile;

    #[test]
    fn unseen_values_are_those_outside_the_profile() {
        let profile = FeatureProfile::Categorical(CategoricalProfile::build(
            &[Some("a"), Some("b"), None].into_iter().collect(),
        ));
        let current = vec![("a".to_string(), 5), ("c".to_string(), 2)];
        assert_eq!(unseen(&current, &profile), vec![("c".to_string(), 2)]);
        let side = baseline_side(&profile);
        assert!((side.missing_rate - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(side.top_categories.len(), 2);
    }

    #[test]
    fn baseline_percentiles_are_named_as_the_current_ones() {
        let values: Vec<f64> = (0..=100).map(f64::from).collect();
        let profile =
            FeatureProfile::Numeric(mlobs_operators::baseline::NumericProfile::build(&values));
        let side = baseline_side(&profile);
        assert_eq!(
            side.percentiles.get("p50"),
            Some(&50.0),
            "{:?}",
            side.percentiles
        );
        assert!(side.percentiles.contains_key("p1"));
    }
}
