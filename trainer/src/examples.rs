//! Labeled rows as the trainer reads them: named feature values and the
//! class, whatever they came from (a scenario's training draw, a registry
//! artifact, ClickHouse's `inference_log` joined with `outcomes`).
//!
//! The JSON-lines form ([`to_json_lines`]) is the registry
//! artifact `data/training.jsonl` beside a version's weights: the training
//! data a retrain mixes with recent production rows, and its lineage.

use std::collections::BTreeMap;

use mlobs_schemas::FeatureValue;
use serde::{Deserialize, Serialize};

/// Whether a feature is a number or a category: what decides how the
/// trainer encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Standardized with the training mean and standard deviation.
    Numeric,
    /// One-hot over the categories seen in training.
    Categorical,
}

impl Kind {
    /// The kind of a value.
    pub fn of(value: &FeatureValue) -> Kind {
        match value {
            FeatureValue::Numeric(_) => Kind::Numeric,
            FeatureValue::Categorical(_) => Kind::Categorical,
        }
    }
}

/// One labeled row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Feature values by name; a missing feature is absent.
    pub features: BTreeMap<String, FeatureValue>,
    /// The label, one of the model's two class names.
    pub label: String,
}

/// The kind of every feature that `rows` carry, by name: the columns a
/// model may learn from.
pub fn kinds(rows: &[Example]) -> BTreeMap<String, Kind> {
    let mut kinds = BTreeMap::new();
    for (name, value) in rows.iter().flat_map(|r| &r.features) {
        kinds.entry(name.clone()).or_insert(Kind::of(value));
    }
    kinds
}

/// One line of the JSON-lines form: a row with plain JSON values (numbers
/// and strings), so that any tool can read the artifact.
#[derive(Serialize, Deserialize)]
struct Line {
    features: BTreeMap<String, serde_json::Value>,
    label: String,
}

/// One JSON object per row and line: `{"features": {...}, "label": "..."}`.
pub fn to_json_lines(rows: &[Example]) -> String {
    let mut out = String::new();
    for row in rows {
        let features = row
            .features
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    FeatureValue::Numeric(x) => serde_json::json!(x),
                    FeatureValue::Categorical(c) => serde_json::json!(c),
                };
                (name.clone(), value)
            })
            .collect();
        let line = Line {
            features,
            label: row.label.clone(),
        };
        out.push_str(&serde_json::to_string(&line).expect("plain JSON values serialize"));
        out.push('\n');
    }
    out
}

/// Reads [`to_json_lines`]' form back; the error names the line.
pub fn from_json_lines(text: &str) -> Result<Vec<Example>, String> {
    let mut rows = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line: Line = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let mut features = BTreeMap::new();
        for (name, value) in line.features {
            let value = match value {
                serde_json::Value::Number(n) => n.as_f64().map(FeatureValue::Numeric),
                serde_json::Value::String(s) => Some(FeatureValue::Categorical(s)),
                serde_json::Value::Null => None,
                other => {
                    return Err(format!(
                        "line {}: feature {name} is {other}; write a number, a string or null",
                        i + 1
                    ))
                }
            };
            if let Some(value) = value {
                features.insert(name, value);
            }
        }
        rows.push(Example {
            features,
            label: line.label,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_round_trip_and_the_kinds_are_learned() {
        let rows = vec![
            Example {
                features: BTreeMap::from([
                    ("x".to_string(), FeatureValue::Numeric(1.5)),
                    ("plan".to_string(), FeatureValue::Categorical("pro".into())),
                ]),
                label: "churn".into(),
            },
            Example {
                features: BTreeMap::new(),
                label: "stay".into(),
            },
        ];
        let text = to_json_lines(&rows);
        assert_eq!(text.lines().count(), 2);
        let back = from_json_lines(&text).unwrap();
        assert_eq!(back, rows);
        let kinds = kinds(&back);
        assert_eq!(kinds["x"], Kind::Numeric);
        assert_eq!(kinds["plan"], Kind::Categorical);
        let error = from_json_lines("{\"features\":{\"x\":[1]},\"label\":\"a\"}").unwrap_err();
        assert!(error.contains("line 1: feature x"), "{error}");
    }
}
