//! Logistic regression by batch gradient descent with L2, on standardized
//! numeric columns and one-hot categories: simple, dependency-free and bit
//! for bit deterministic, so that a scenario trains the same versions on
//! every run and a retrain is reproducible from its data.

use mlobs_schemas::FeatureValue;
use serde::{Deserialize, Serialize};

use crate::examples::{Example, Kind};
use crate::sigmoid;

/// Passes over the training set; enough for the weights to settle on
/// standardized inputs.
const ITERATIONS: usize = 600;
/// Step size; safe because inputs are standardized or 0/1.
const LEARNING_RATE: f64 = 1.0;
/// L2 penalty on the weights (not the intercept).
const L2: f64 = 1e-4;

/// Why a model cannot be trained or read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// Training needs both classes.
    #[error("every training row has the same class, {0:?}; a classifier needs rows of both")]
    OneClass(String),
    /// A label that is neither class.
    #[error("label {label:?} is neither class of the model ({classes:?})")]
    UnknownLabel {
        /// The label.
        label: String,
        /// The model's classes, negative first.
        classes: [String; 2],
    },
    /// Weights JSON that is not a model of this family.
    #[error("the weights are unreadable: {0}")]
    Unreadable(String),
}

/// One input column of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Column {
    /// A numeric feature, standardized with the training mean and std;
    /// missing values are imputed with the mean (0 after standardizing).
    Numeric {
        feature: String,
        mean: f64,
        std: f64,
    },
    /// 1 when the feature has this category (seen in training), else 0.
    Category { feature: String, value: String },
}

impl Column {
    fn feature(&self) -> &str {
        let (Column::Numeric { feature, .. } | Column::Category { feature, .. }) = self;
        feature
    }
}

/// A fitted binary classifier; its JSON form is a version's weights
/// artifact in the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    /// Class names, negative first: the model predicts the second with
    /// probability [`Logistic::probability`].
    classes: [String; 2],
    columns: Vec<Column>,
    weights: Vec<f64>,
    intercept: f64,
}

impl Logistic {
    /// Fits on `rows`, reading the features of `columns` in that order
    /// (the order fixes the arithmetic, so the same data gives the same
    /// weights); `classes` are the labels, negative first.
    pub fn train(
        columns: &[(String, Kind)],
        rows: &[Example],
        classes: &[String; 2],
    ) -> Result<Logistic, ModelError> {
        let positive = rows
            .iter()
            .map(|row| match classes.iter().position(|c| *c == row.label) {
                Some(i) => Ok(i == 1),
                None => Err(ModelError::UnknownLabel {
                    label: row.label.clone(),
                    classes: classes.clone(),
                }),
            })
            .collect::<Result<Vec<bool>, _>>()?;
        if let Some(first) = positive.first() {
            if positive.iter().all(|p| p == first) {
                return Err(ModelError::OneClass(classes[usize::from(*first)].clone()));
            }
        }
        let mut model = Logistic {
            classes: classes.clone(),
            columns: encode_columns(columns, rows),
            weights: Vec::new(),
            intercept: 0.0,
        };
        model.weights = vec![0.0; model.columns.len()];
        let inputs: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| model.encode(|name| r.features.get(name)))
            .collect();
        let n = rows.len().max(1) as f64;
        let mut gradient = vec![0.0; model.weights.len()];
        for _ in 0..ITERATIONS {
            gradient.iter_mut().for_each(|g| *g = 0.0);
            let mut gradient_intercept = 0.0;
            for (x, class) in inputs.iter().zip(&positive) {
                let error = model.score(x) - f64::from(u8::from(*class));
                gradient_intercept += error;
                gradient
                    .iter_mut()
                    .zip(x)
                    .for_each(|(g, xi)| *g += error * xi);
            }
            model.intercept -= LEARNING_RATE * gradient_intercept / n;
            for (w, g) in model.weights.iter_mut().zip(&gradient) {
                *w -= LEARNING_RATE * (g / n + L2 * *w);
            }
        }
        Ok(model)
    }

    /// Negates the learned weights of `feature`: a deliberately buggy version.
    pub fn flip_sign(&mut self, feature: &str) {
        for (column, w) in self.columns.iter().zip(&mut self.weights) {
            if column.feature() == feature {
                *w = -*w;
            }
        }
    }

    /// Probability of the positive class for a row whose values `value`
    /// looks up by feature name.
    pub fn probability<'a>(&self, value: impl Fn(&str) -> Option<&'a FeatureValue>) -> f64 {
        self.score(&self.encode(value))
    }

    /// The predicted label of a row (positive from probability 0.5 on).
    pub fn predict<'a>(&self, value: impl Fn(&str) -> Option<&'a FeatureValue>) -> &str {
        &self.classes[usize::from(self.probability(value) >= 0.5)]
    }

    /// How the model does on labeled `examples`: per example, the class it
    /// predicts, the probability it gives that class, and whether the
    /// label agrees (what a CBPE calibration is fitted from).
    pub fn outcomes(&self, examples: &[Example]) -> Vec<(String, f64, bool)> {
        examples
            .iter()
            .map(|example| {
                let p = self.probability(|name| example.features.get(name));
                let predicted = &self.classes[usize::from(p >= 0.5)];
                (
                    predicted.clone(),
                    p.max(1.0 - p),
                    *predicted == example.label,
                )
            })
            .collect()
    }

    /// Class names, negative first.
    pub fn classes(&self) -> &[String; 2] {
        &self.classes
    }

    /// The features the model reads, in column order, each once.
    pub fn features(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for column in &self.columns {
            if out.last().is_none_or(|f| f != column.feature()) {
                out.push(column.feature().to_string());
            }
        }
        out
    }

    /// The registry artifact's form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("weights serialize")
    }

    /// Reads [`Logistic::to_json`]'s form back.
    pub fn from_json(text: &str) -> Result<Logistic, ModelError> {
        serde_json::from_str(text).map_err(|e| ModelError::Unreadable(e.to_string()))
    }

    fn score(&self, x: &[f64]) -> f64 {
        let dot: f64 = self.weights.iter().zip(x).map(|(w, xi)| w * xi).sum();
        sigmoid(self.intercept + dot)
    }

    fn encode<'a>(&self, value: impl Fn(&str) -> Option<&'a FeatureValue>) -> Vec<f64> {
        self.columns
            .iter()
            .map(|column| match column {
                Column::Numeric { feature, mean, std } => match value(feature) {
                    Some(FeatureValue::Numeric(x)) => (x - mean) / std,
                    _ => 0.0,
                },
                Column::Category { feature, value: v } => {
                    let hit =
                        matches!(value(feature), Some(FeatureValue::Categorical(c)) if c == v);
                    f64::from(u8::from(hit))
                }
            })
            .collect()
    }
}

/// The columns of `features` over `rows`: each numeric feature with its
/// mean and std, each category seen (sorted).
fn encode_columns(features: &[(String, Kind)], rows: &[Example]) -> Vec<Column> {
    let mut columns = Vec::new();
    for (name, kind) in features {
        match kind {
            Kind::Numeric => {
                let values: Vec<f64> = rows
                    .iter()
                    .filter_map(|r| match r.features.get(name) {
                        Some(FeatureValue::Numeric(x)) => Some(*x),
                        _ => None,
                    })
                    .collect();
                let n = values.len().max(1) as f64;
                let mean = values.iter().sum::<f64>() / n;
                let std = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
                let std = if std > 0.0 { std } else { 1.0 };
                columns.push(Column::Numeric {
                    feature: name.clone(),
                    mean,
                    std,
                });
            }
            Kind::Categorical => {
                let mut seen: Vec<&str> = rows
                    .iter()
                    .filter_map(|r| match r.features.get(name) {
                        Some(FeatureValue::Categorical(c)) => Some(c.as_str()),
                        _ => None,
                    })
                    .collect();
                seen.sort_unstable();
                seen.dedup();
                columns.extend(seen.into_iter().map(|value| Column::Category {
                    feature: name.clone(),
                    value: value.to_string(),
                }));
            }
        }
    }
    columns
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A small deterministic generator (the trainer has no randomness of
    /// its own to borrow).
    struct Lcg(u64);

    impl Lcg {
        fn uniform(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn classes() -> [String; 2] {
        ["stay".to_string(), "churn".to_string()]
    }

    fn rows(n: usize, seed: u64) -> Vec<Example> {
        let mut rng = Lcg(seed);
        (0..n)
            .map(|_| {
                let x = 5.0 + 4.0 * (rng.uniform() - 0.5);
                let c = if rng.uniform() < 0.5 { "a" } else { "b" };
                let logit = 3.0 * (x - 5.0) + if c == "a" { 2.0 } else { -2.0 };
                let positive = rng.uniform() < sigmoid(logit);
                Example {
                    features: BTreeMap::from([
                        ("x".to_string(), FeatureValue::Numeric(x)),
                        ("c".to_string(), FeatureValue::Categorical(c.into())),
                    ]),
                    label: classes()[usize::from(positive)].clone(),
                }
            })
            .collect()
    }

    fn accuracy(model: &Logistic, rows: &[Example]) -> f64 {
        let right = rows
            .iter()
            .filter(|r| model.predict(|name| r.features.get(name)) == r.label)
            .count();
        right as f64 / rows.len() as f64
    }

    #[test]
    fn learns_a_known_relationship_and_flipping_a_sign_breaks_it() {
        let data = rows(2000, 9);
        let both = [
            ("x".to_string(), Kind::Numeric),
            ("c".to_string(), Kind::Categorical),
        ];
        let mut model = Logistic::train(&both, &data, &classes()).unwrap();
        assert_eq!(
            model,
            Logistic::train(&both, &data, &classes()).unwrap(),
            "deterministic"
        );
        assert_eq!(model.features(), ["x", "c"]);
        assert!(
            accuracy(&model, &data) > 0.85,
            "{}",
            accuracy(&model, &data)
        );
        let without_x = Logistic::train(&both[1..], &data, &classes()).unwrap();
        assert!(accuracy(&without_x, &data) < accuracy(&model, &data) - 0.05);
        model.flip_sign("x");
        assert!(accuracy(&model, &data) < 0.6, "{}", accuracy(&model, &data));
    }

    #[test]
    fn weights_round_trip_through_json() {
        let data = rows(200, 3);
        let model =
            Logistic::train(&[("x".to_string(), Kind::Numeric)], &data, &classes()).unwrap();
        assert_eq!(Logistic::from_json(&model.to_json()).unwrap(), model);
        assert!(matches!(
            Logistic::from_json("{}"),
            Err(ModelError::Unreadable(_))
        ));
    }

    #[test]
    fn labels_must_be_the_classes_and_both_must_occur() {
        let x = [("x".to_string(), Kind::Numeric)];
        let mut data = rows(50, 1);
        data.iter_mut().for_each(|r| r.label = "stay".into());
        assert_eq!(
            Logistic::train(&x, &data, &classes()),
            Err(ModelError::OneClass("stay".into()))
        );
        data[0].label = "maybe".into();
        assert!(matches!(
            Logistic::train(&x, &data, &classes()),
            Err(ModelError::UnknownLabel { .. })
        ));
    }
}
