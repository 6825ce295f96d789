//! Logistic regression, trained by the simulator itself: every version is a
//! real model fitted to its own synthetic training data, so that versions
//! differ the way real ones do (sample size, bugs) rather than by decree.
//! Batch gradient descent with L2 on standardized numeric columns and
//! one-hot categories: simple, dependency-free and bit-for-bit deterministic.

use mlobs_schemas::FeatureValue;
use serde::{Deserialize, Serialize};

use crate::features::Feature;
use crate::process::{sigmoid, Row};

/// Passes over the training set; enough for the weights to settle on
/// standardized inputs.
const ITERATIONS: usize = 600;
/// Step size; safe because inputs are standardized or 0/1.
const LEARNING_RATE: f64 = 1.0;
/// L2 penalty on the weights (not the intercept).
const L2: f64 = 1e-4;

/// One input column of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Column {
    /// A numeric feature, standardized with the training mean and std;
    /// missing values are imputed with the mean (0 after standardizing).
    Numeric { feature: usize, mean: f64, std: f64 },
    /// 1 when the feature has this category (seen in training), else 0.
    Category { feature: usize, value: String },
}

/// A fitted binary classifier; its JSON form is the version's weights
/// artifact in the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Logistic {
    columns: Vec<Column>,
    weights: Vec<f64>,
    intercept: f64,
}

impl Logistic {
    /// Fits on `rows` and their classes, ignoring the `dropped` features.
    pub(crate) fn train(
        features: &[Feature],
        rows: &[Row],
        classes: &[bool],
        dropped: &[usize],
    ) -> Logistic {
        let mut columns = Vec::new();
        for (i, feature) in features
            .iter()
            .enumerate()
            .filter(|(i, _)| !dropped.contains(i))
        {
            if feature.distribution.is_numeric() {
                let values: Vec<f64> = rows.iter().filter_map(|r| number(&r[i])).collect();
                let n = values.len().max(1) as f64;
                let mean = values.iter().sum::<f64>() / n;
                let std = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
                let std = if std > 0.0 { std } else { 1.0 };
                columns.push(Column::Numeric {
                    feature: i,
                    mean,
                    std,
                });
            } else {
                let mut seen: Vec<String> = rows
                    .iter()
                    .filter_map(|r| category(&r[i]).map(String::from))
                    .collect();
                seen.sort();
                seen.dedup();
                columns.extend(
                    seen.into_iter()
                        .map(|value| Column::Category { feature: i, value }),
                );
            }
        }
        let mut model = Logistic {
            weights: vec![0.0; columns.len()],
            columns,
            intercept: 0.0,
        };
        let inputs: Vec<Vec<f64>> = rows.iter().map(|r| model.encode(r)).collect();
        let n = rows.len() as f64;
        let mut gradient = vec![0.0; model.weights.len()];
        for _ in 0..ITERATIONS {
            gradient.iter_mut().for_each(|g| *g = 0.0);
            let mut gradient_intercept = 0.0;
            for (x, class) in inputs.iter().zip(classes) {
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
        model
    }

    /// Negates the learned weights of `feature`: a deliberately buggy version.
    pub(crate) fn flip_sign(&mut self, feature: usize) {
        for (column, w) in self.columns.iter().zip(&mut self.weights) {
            let (Column::Numeric { feature: f, .. } | Column::Category { feature: f, .. }) = column;
            if *f == feature {
                *w = -*w;
            }
        }
    }

    /// Probability of the positive class for a row as served.
    pub(crate) fn probability(&self, row: &Row) -> f64 {
        self.score(&self.encode(row))
    }

    fn score(&self, x: &[f64]) -> f64 {
        sigmoid(
            self.intercept
                + self
                    .weights
                    .iter()
                    .zip(x)
                    .map(|(w, xi)| w * xi)
                    .sum::<f64>(),
        )
    }

    fn encode(&self, row: &Row) -> Vec<f64> {
        self.columns
            .iter()
            .map(|column| match column {
                Column::Numeric { feature, mean, std } => {
                    number(&row[*feature]).map_or(0.0, |x| (x - mean) / std)
                }
                Column::Category { feature, value } => {
                    f64::from(u8::from(category(&row[*feature]) == Some(value)))
                }
            })
            .collect()
    }
}

fn number(value: &Option<FeatureValue>) -> Option<f64> {
    match value {
        Some(FeatureValue::Numeric(x)) => Some(*x),
        _ => None,
    }
}

fn category(value: &Option<FeatureValue>) -> Option<&str> {
    match value {
        Some(FeatureValue::Categorical(c)) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Distribution;
    use crate::rng::Rng;

    #[test]
    fn learns_a_known_relationship_and_flipping_a_sign_breaks_it() {
        let features = vec![
            Feature {
                name: "x".into(),
                distribution: Distribution::Normal {
                    mean: 5.0,
                    std: 2.0,
                },
            },
            Feature {
                name: "c".into(),
                distribution: Distribution::Categorical {
                    values: vec!["a".into(), "b".into()],
                    weights: vec![1.0, 1.0],
                },
            },
        ];
        let mut rng = Rng::new(9);
        let (rows, classes): (Vec<Row>, Vec<bool>) = (0..2000)
            .map(|_| {
                let x = 5.0 + 2.0 * rng.normal();
                let c = if rng.chance(0.5) { "a" } else { "b" };
                let logit = 3.0 * (x - 5.0) + if c == "a" { 2.0 } else { -2.0 };
                let row = vec![
                    Some(FeatureValue::Numeric(x)),
                    Some(FeatureValue::Categorical(c.into())),
                ];
                (row, rng.uniform() < sigmoid(logit))
            })
            .unzip();
        let accuracy = |model: &Logistic| {
            rows.iter()
                .zip(&classes)
                .filter(|(r, c)| (model.probability(r) >= 0.5) == **c)
                .count() as f64
                / rows.len() as f64
        };
        let mut model = Logistic::train(&features, &rows, &classes, &[]);
        assert_eq!(
            model,
            Logistic::train(&features, &rows, &classes, &[]),
            "deterministic"
        );
        assert!(accuracy(&model) > 0.9, "{}", accuracy(&model));
        let without_x = Logistic::train(&features, &rows, &classes, &[0]);
        assert!(accuracy(&without_x) < accuracy(&model) - 0.05);
        model.flip_sign(0);
        assert!(accuracy(&model) < 0.6, "{}", accuracy(&model));
    }
}
