//! The generative process: drawing a model's feature rows, deciding their
//! true class, and applying drift to them. Training data and served traffic
//! come from the same functions, so a version is trained on exactly the
//! world it later serves (until a drift changes that world).

use mlobs_schemas::FeatureValue;

use crate::features::{Distribution, Relation};
use crate::injections::Change;
use crate::model::Model;
use crate::rng::Rng;

/// One value per feature of a model, in the model's feature order; `None`
/// is a missing value.
pub(crate) type Row = Vec<Option<FeatureValue>>;

impl Distribution {
    /// One value.
    fn draw(&self, rng: &mut Rng) -> FeatureValue {
        match self {
            Distribution::Normal { mean, std } => FeatureValue::Numeric(mean + std * rng.normal()),
            Distribution::Lognormal { median, sigma } => {
                FeatureValue::Numeric(rng.lognormal(*median, *sigma))
            }
            Distribution::Uniform { low, high } => FeatureValue::Numeric(rng.between(*low, *high)),
            Distribution::Categorical { values, weights } => {
                FeatureValue::Categorical(values[rng.pick(weights)].clone())
            }
        }
    }
}

/// A row from the model's undrifted process.
pub(crate) fn draw_row(model: &Model, rng: &mut Rng) -> Row {
    model
        .features
        .iter()
        .map(|f| Some(f.distribution.draw(rng)))
        .collect()
}

/// Log-odds of the positive class under the true relationship. A missing
/// value or a category without an effect adds nothing.
pub(crate) fn true_logit(relation: &Relation, row: &Row) -> f64 {
    let mut logit = relation.intercept;
    for (i, value) in row.iter().enumerate() {
        match value {
            Some(FeatureValue::Numeric(x)) => logit += relation.weights[i] * x,
            Some(FeatureValue::Categorical(c)) => {
                logit += relation.effects[i].get(c).copied().unwrap_or(0.0)
            }
            None => {}
        }
    }
    logit
}

/// Draws the true class of a row: positive with probability sigmoid(logit).
pub(crate) fn true_class(relation: &Relation, row: &Row, rng: &mut Rng) -> bool {
    rng.uniform() < mlobs_trainer::sigmoid(true_logit(relation, row))
}

/// `value` after a drift `change`; `rng` decides the random changes.
pub(crate) fn apply_change(
    change: &Change,
    value: Option<FeatureValue>,
    rng: &mut Rng,
) -> Option<FeatureValue> {
    match (change, value) {
        (Change::Shift(by), Some(FeatureValue::Numeric(x))) => Some(FeatureValue::Numeric(x + by)),
        (Change::Scale(factor), Some(FeatureValue::Numeric(x))) => {
            Some(FeatureValue::Numeric(x * factor))
        }
        (Change::NewCategory { value, probability }, old) => {
            if rng.chance(*probability) {
                Some(FeatureValue::Categorical(value.clone()))
            } else {
                old
            }
        }
        (Change::Missing(rate), old) => {
            if rng.chance(*rate) {
                None
            } else {
                old
            }
        }
        (_, other) => other,
    }
}

/// A training set of a version: rows from the undrifted process and their
/// true classes.
pub(crate) fn training_set(model: &Model, rows: usize, rng: &mut Rng) -> (Vec<Row>, Vec<bool>) {
    (0..rows)
        .map(|_| {
            let row = draw_row(model, rng);
            let class = true_class(&model.relation, &row, rng);
            (row, class)
        })
        .unzip()
}
