//! A model's inputs and the relationship that decides the true class: the
//! generative process the simulator draws rows from and trains versions on.

use std::collections::BTreeMap;

use crate::file::{FeatureFile, RelationFile};
use crate::SimError;

/// Where a feature's values come from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Distribution {
    /// Normal with the given mean and standard deviation.
    Normal { mean: f64, std: f64 },
    /// Lognormal: ln(x) is normal(ln median, sigma).
    Lognormal { median: f64, sigma: f64 },
    /// Uniform in [low, high).
    Uniform { low: f64, high: f64 },
    /// One of `values`, with probability proportional to `weights`.
    Categorical {
        values: Vec<String>,
        weights: Vec<f64>,
    },
}

impl Distribution {
    /// Whether values are numbers (drift by shift and scale applies) rather
    /// than labels (new categories apply).
    pub(crate) fn is_numeric(&self) -> bool {
        !matches!(self, Distribution::Categorical { .. })
    }
}

/// A named input of a model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Feature {
    pub(crate) name: String,
    pub(crate) distribution: Distribution,
}

/// The true logistic relationship: P(positive) = sigmoid(intercept +
/// sum of weight x value + sum of category effects).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Relation {
    pub(crate) intercept: f64,
    /// Per feature (same order as the features); 0 for categorical ones.
    pub(crate) weights: Vec<f64>,
    /// Per feature: effect of each category; a category without one adds 0.
    pub(crate) effects: Vec<BTreeMap<String, f64>>,
}

/// Parameters each distribution takes, for checks and error messages.
const PARAMETERS: [(&str, &[&str]); 4] = [
    ("normal", &["mean", "std"]),
    ("lognormal", &["median", "sigma"]),
    ("uniform", &["low", "high"]),
    ("categorical", &["categories"]),
];

/// Checks one `[[models.features]]` entry; `key` is its path for messages.
pub(crate) fn parse_feature(key: &str, file: FeatureFile) -> Result<Feature, SimError> {
    let name = file.distribution.as_str();
    let Some((_, allowed)) = PARAMETERS.iter().find(|(d, _)| *d == name) else {
        return Err(SimError::invalid(
            &format!("{key}.distribution"),
            name,
            "use normal, lognormal, uniform or categorical",
        ));
    };
    let given = [
        ("mean", file.mean.is_some()),
        ("std", file.std.is_some()),
        ("median", file.median.is_some()),
        ("sigma", file.sigma.is_some()),
        ("low", file.low.is_some()),
        ("high", file.high.is_some()),
        ("categories", file.categories.is_some()),
    ];
    let takes = format!("distribution {name:?} takes {}", allowed.join(" and "));
    for (parameter, present) in given {
        if present && !allowed.contains(&parameter) {
            return Err(SimError::at(
                &format!("{key}.{parameter}"),
                &format!("not a parameter here; {takes}"),
            ));
        }
        if !present && allowed.contains(&parameter) {
            return Err(SimError::at(
                &format!("{key}.{parameter}"),
                &format!("missing; {takes}"),
            ));
        }
    }
    let number = |parameter: &str, value: Option<f64>, positive: bool| {
        let value = value.unwrap_or(f64::NAN);
        let ok = value.is_finite() && (!positive || value > 0.0);
        if ok {
            Ok(value)
        } else {
            let allowed = if positive {
                "must be a finite number > 0"
            } else {
                "must be a finite number"
            };
            Err(SimError::invalid(
                &format!("{key}.{parameter}"),
                value,
                allowed,
            ))
        }
    };
    let distribution = match name {
        "normal" => Distribution::Normal {
            mean: number("mean", file.mean, false)?,
            std: number("std", file.std, true)?,
        },
        "lognormal" => Distribution::Lognormal {
            median: number("median", file.median, true)?,
            sigma: number("sigma", file.sigma, true)?,
        },
        "uniform" => {
            let (low, high) = (
                number("low", file.low, false)?,
                number("high", file.high, false)?,
            );
            if low >= high {
                return Err(SimError::invalid(
                    &format!("{key}.high"),
                    high,
                    "must be greater than `low`",
                ));
            }
            Distribution::Uniform { low, high }
        }
        _ => {
            let categories = file.categories.unwrap_or_default();
            let key = format!("{key}.categories");
            check_weights(&key, &categories)?;
            Distribution::Categorical {
                values: categories.keys().cloned().collect(),
                weights: categories.values().copied().collect(),
            }
        }
    };
    Ok(Feature {
        name: file.name,
        distribution,
    })
}

/// Checks a table of weights: finite, not negative, at least one positive.
pub(crate) fn check_weights(key: &str, weights: &BTreeMap<String, f64>) -> Result<(), SimError> {
    if let Some((name, w)) = weights.iter().find(|(_, w)| !(w.is_finite() && **w >= 0.0)) {
        return Err(SimError::invalid(
            &format!("{key}.{name}"),
            w,
            "weights are finite numbers >= 0",
        ));
    }
    if !weights.values().any(|w| *w > 0.0) {
        return Err(SimError::at(
            key,
            "give at least one entry with a weight > 0, e.g. { a = 3, b = 1 }",
        ));
    }
    Ok(())
}

/// Checks `[models.truth]` against the model's features.
pub(crate) fn parse_relation(
    key: &str,
    file: RelationFile,
    features: &[Feature],
) -> Result<Relation, SimError> {
    let index = |table: &str, name: &str, numeric: bool| {
        let kind = if numeric { "numeric" } else { "categorical" };
        features
            .iter()
            .position(|f| f.name == name && f.distribution.is_numeric() == numeric)
            .ok_or_else(|| {
                let names: Vec<&str> = features
                    .iter()
                    .filter(|f| f.distribution.is_numeric() == numeric)
                    .map(|f| f.name.as_str())
                    .collect();
                SimError::at(
                    &format!("{key}.{table}.{name}"),
                    &format!(
                        "not a {kind} feature of this model; {kind} features: {}",
                        names.join(", ")
                    ),
                )
            })
    };
    let finite = |path: String, value: f64| {
        if value.is_finite() {
            Ok(value)
        } else {
            Err(SimError::invalid(&path, value, "must be a finite number"))
        }
    };
    let mut relation = Relation {
        intercept: finite(format!("{key}.intercept"), file.intercept)?,
        weights: vec![0.0; features.len()],
        effects: vec![BTreeMap::new(); features.len()],
    };
    for (name, weight) in file.weights {
        let i = index("weights", &name, true)?;
        relation.weights[i] = finite(format!("{key}.weights.{name}"), weight)?;
    }
    for (name, effects) in file.effects {
        let i = index("effects", &name, false)?;
        for (category, effect) in effects {
            let value = finite(format!("{key}.effects.{name}.{category}"), effect)?;
            relation.effects[i].insert(category, value);
        }
    }
    Ok(relation)
}
