//! Drift of a whole dataset: every feature of a reference file against a
//! current file (Evidently's way, [`samples_drift`]), or of a baseline
//! against a current file or a window's sketches (on the baseline's bins).

use std::collections::BTreeMap;

use super::categorical::{categorical_drift, CategoricalCurrent};
use super::numeric::{numeric_drift, NumericCurrent, NumericReference};
use super::samples::{sample_drift, Sample};
use super::{DriftOptions, DriftReport, FeatureDrift, Kind, MethodError, Summary};
use crate::baseline::{Baseline, CategoricalProfile, ColumnData, FeatureProfile};
use crate::sketch::FeatureSketch;
use crate::stats::cdf::PiecewiseCdf;

/// The reference of one feature, ready to be tested against.
#[derive(Debug, Clone)]
pub enum ReferenceFeature {
    /// A numeric feature (boxed: its profile is large).
    Numeric(Box<NumericReference>),
    /// A categorical feature.
    Categorical(CategoricalProfile),
}

/// Every feature of a reference.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// By feature name.
    pub features: BTreeMap<String, ReferenceFeature>,
}

/// Why a dataset could not be tested.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DriftError {
    /// A forced method does not fit a feature.
    #[error(transparent)]
    Method(#[from] MethodError),
    /// The two sides disagree on a feature's kind.
    #[error("feature {feature} is {reference} in the reference but {current} in the current data; force one kind with --numeric or --categorical")]
    KindMismatch {
        feature: String,
        reference: &'static str,
        current: &'static str,
    },
    /// The current data lacks a reference feature.
    #[error("feature {feature} is in the reference but not in the current data; choose the features with --columns")]
    MissingFeature { feature: String },
}

impl Reference {
    /// From a stored baseline.
    pub fn from_baseline(baseline: &Baseline) -> Self {
        let features = baseline
            .features
            .iter()
            .map(|(name, profile)| {
                let feature = match profile {
                    FeatureProfile::Numeric(p) => ReferenceFeature::Numeric(Box::new(
                        NumericReference::from_profile(p.clone()),
                    )),
                    FeatureProfile::Categorical(p) => ReferenceFeature::Categorical(p.clone()),
                };
                (name.clone(), feature)
            })
            .collect();
        Reference { features }
    }
}

/// Tests every column of a reference file against the same column of the
/// current file, both at hand, exactly as Evidently's `DataDriftPreset`.
pub fn samples_drift(
    reference: &BTreeMap<String, Sample>,
    current: Vec<(String, ColumnData)>,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    let mut by_name: BTreeMap<String, ColumnData> = current.into_iter().collect();
    let mut results = Vec::new();
    for (name, reference) in reference {
        let data = by_name
            .remove(name)
            .ok_or_else(|| DriftError::MissingFeature {
                feature: name.clone(),
            })?;
        results.push(sample_pair_drift(
            name,
            reference,
            &Sample::from_column(data),
            options,
        )?);
    }
    Ok(DriftReport::new(results, options.dataset_share))
}

/// Tests one feature of a reference file against the same column of the
/// current file. Features are independent: a caller may test them on
/// several threads and gather the results in [`DriftReport::new`].
pub fn sample_pair_drift(
    name: &str,
    reference: &Sample,
    current: &Sample,
    options: &DriftOptions,
) -> Result<FeatureDrift, DriftError> {
    if current.kind() != reference.kind() {
        return Err(DriftError::KindMismatch {
            feature: name.to_string(),
            reference: reference.kind().name(),
            current: current.kind().name(),
        });
    }
    Ok(sample_drift(
        name,
        reference,
        current,
        options.choice(name),
    )?)
}

/// Tests every baseline feature against the current columns (consumed), on
/// the baseline's bins.
pub fn columns_drift(
    reference: &Reference,
    current: Vec<(String, ColumnData)>,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    let mut by_name: BTreeMap<String, ColumnData> = current.into_iter().collect();
    let mut results = Vec::new();
    for (name, feature) in &reference.features {
        let data = by_name
            .remove(name)
            .ok_or_else(|| DriftError::MissingFeature {
                feature: name.clone(),
            })?;
        let choice = options.choice(name);
        let result = match (feature, data) {
            (ReferenceFeature::Numeric(r), ColumnData::Numeric(values)) => numeric_drift(
                name,
                r,
                &NumericCurrent::from_values(values, &r.profile.bin_edges),
                choice,
            )?,
            (ReferenceFeature::Categorical(r), ColumnData::Categorical(values)) => {
                categorical_drift(
                    name,
                    r,
                    &CategoricalCurrent::from_values(&values, r),
                    choice,
                )?
            }
            (feature, data) => {
                return Err(mismatch(
                    name,
                    feature,
                    matches!(data, ColumnData::Numeric(_)),
                ))
            }
        };
        results.push(result);
    }
    Ok(DriftReport::new(results, options.dataset_share))
}

/// Tests every reference feature against a window's sketches. `rows` is the
/// number of predictions in the window: a feature absent from some events
/// counts as missing there. A window where no prediction carried any
/// feature value (features hashed for privacy) tests nothing: every feature
/// is `not_monitored`, never drifted or missing.
pub fn window_drift(
    reference: &Reference,
    sketches: &BTreeMap<String, FeatureSketch>,
    rows: u64,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    let mut results = Vec::new();
    for (name, feature) in &reference.features {
        let choice = options.choice(name);
        let result = match (feature, sketches.get(name)) {
            (ReferenceFeature::Numeric(r), Some(FeatureSketch::Numeric(s))) => {
                let mut current = NumericCurrent::from_sketch(s, &r.profile.bin_edges);
                current.summary.missing = rows.saturating_sub(current.summary.count);
                numeric_drift(name, r, &current, choice)?
            }
            (ReferenceFeature::Numeric(r), None) => numeric_drift(
                name,
                r,
                &absent_numeric(r.profile.bin_edges.len(), rows),
                choice,
            )?,
            (ReferenceFeature::Categorical(r), Some(FeatureSketch::Categorical(s))) => {
                let mut current = CategoricalCurrent::from_sketch(s, r);
                current.summary.missing = rows.saturating_sub(current.summary.count);
                categorical_drift(name, r, &current, choice)?
            }
            (ReferenceFeature::Categorical(r), None) => {
                let current = CategoricalCurrent {
                    known: BTreeMap::new(),
                    unseen: 0,
                    unseen_distinct: 0,
                    summary: Summary {
                        missing: rows,
                        ..Summary::default()
                    },
                };
                categorical_drift(name, r, &current, choice)?
            }
            (feature, Some(sketch)) => {
                return Err(mismatch(
                    name,
                    feature,
                    matches!(sketch, FeatureSketch::Numeric(_)),
                ))
            }
        };
        results.push(result);
    }
    if !sketches.values().any(|s| s.count() > 0) {
        results.iter_mut().for_each(FeatureDrift::not_monitored);
    }
    Ok(DriftReport::new(results, options.dataset_share))
}

fn absent_numeric(edges: usize, rows: u64) -> NumericCurrent {
    NumericCurrent {
        cdf: PiecewiseCdf::default(),
        bin_counts: vec![0.0; edges + 1],
        summary: Summary {
            missing: rows,
            ..Summary::default()
        },
        values: Some(Vec::new()),
        sketched: true,
    }
}

fn mismatch(name: &str, feature: &ReferenceFeature, current_numeric: bool) -> DriftError {
    let kind = |numeric: bool| {
        if numeric {
            Kind::Numeric
        } else {
            Kind::Categorical
        }
    };
    DriftError::KindMismatch {
        feature: name.to_string(),
        reference: kind(matches!(feature, ReferenceFeature::Numeric(_))).name(),
        current: kind(current_numeric).name(),
    }
}
