//! The baseline a retrained version is registered with: the profile of
//! the rows it learned the world from, as `mlobs baseline build` makes one.

use mlobs_operators::baseline::{Baseline, ColumnData};
use mlobs_operators::cbpe::validation::Validation;
use mlobs_registry::baseline::Summary;
use mlobs_schemas::FeatureValue;
use mlobs_trainer::{kinds, Example, Kind};

/// The profile of `rows` (JSON), carrying the version's `validation`
/// outcomes, and what the version's tags say about it.
pub fn of(rows: &[Example], validation: Validation) -> (String, Summary) {
    let columns: Vec<(String, ColumnData)> = kinds(rows)
        .into_iter()
        .map(|(name, kind)| {
            let value = |r: &Example| r.features.get(&name).cloned();
            let data = match kind {
                Kind::Numeric => ColumnData::Numeric(
                    rows.iter()
                        .map(|r| match value(r) {
                            Some(FeatureValue::Numeric(x)) => x,
                            _ => f64::NAN,
                        })
                        .collect(),
                ),
                Kind::Categorical => ColumnData::Categorical(
                    rows.iter()
                        .map(|r| match value(r) {
                            Some(FeatureValue::Categorical(c)) => Some(c),
                            _ => None,
                        })
                        .collect(),
                ),
            };
            (name, data)
        })
        .collect();
    let mut profile = Baseline::build(&columns);
    profile.validation = Some(validation);
    let summary = Summary {
        rows: profile.rows,
        features: profile.features.len(),
        format_version: profile.format_version,
    };
    (profile.to_json(), summary)
}
