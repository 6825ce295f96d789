//! Drift statistics of a categorical feature against a baseline profile
//! (streaming mode), on the reference categories plus one bucket for
//! everything else (values the reference never had). The bucket counts in
//! chi-square only when something is in it, so the degrees of freedom are
//! Evidently's whenever the window has no new value; with one, Evidently's
//! p-value is 0 and so is ours.

use std::collections::BTreeMap;

use super::distances::{chi_square, jensen_shannon, psi, two_proportion_z_test};
use super::{choose_method, decide, Choice, FeatureDrift, Kind, MethodError, Statistics, Summary};
use crate::baseline::CategoricalProfile;
use crate::labels::Labels;
use crate::sketch::CategoricalSketch;

/// The current side: counts of the reference categories, and of the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalCurrent {
    /// Count per reference category (absent: zero).
    pub known: BTreeMap<String, u64>,
    /// Values in no reference category.
    pub unseen: u64,
    /// Distinct values among them (at least; a sketch keeps a bounded number).
    pub unseen_distinct: u64,
    /// Count and missing.
    pub summary: Summary,
}

impl CategoricalCurrent {
    /// From a window's sketch.
    pub fn from_sketch(sketch: &CategoricalSketch, reference: &CategoricalProfile) -> Self {
        let known: BTreeMap<String, u64> = sketch
            .known
            .iter()
            .chain(&sketch.unseen_values)
            .filter(|(value, _)| reference.counts.contains_key(*value))
            .map(|(value, n)| (value.clone(), *n))
            .collect();
        let tracked = sketch
            .unseen_values
            .keys()
            .filter(|v| !reference.counts.contains_key(*v))
            .count() as u64;
        let untracked = u64::from(sketch.unseen_other() > 0);
        Self::with_known(known, sketch.count, sketch.missing, tracked + untracked)
    }

    /// From the raw column.
    pub fn from_values(values: &Labels, reference: &CategoricalProfile) -> Self {
        let (all, missing) = values.counts();
        let count = all.values().sum();
        let unseen_distinct = all
            .keys()
            .filter(|v| !reference.counts.contains_key(**v))
            .count() as u64;
        let known = all
            .into_iter()
            .filter(|(v, _)| reference.counts.contains_key(*v))
            .map(|(v, n)| (v.to_string(), n))
            .collect();
        Self::with_known(known, count, missing, unseen_distinct)
    }

    fn with_known(
        known: BTreeMap<String, u64>,
        count: u64,
        missing: u64,
        unseen_distinct: u64,
    ) -> Self {
        let unseen = count - known.values().sum::<u64>();
        CategoricalCurrent {
            known,
            unseen,
            unseen_distinct,
            summary: Summary {
                count,
                missing,
                ..Summary::default()
            },
        }
    }
}

/// Tests a categorical feature. Fails only when a forced method cannot apply.
pub fn categorical_drift(
    name: &str,
    reference: &CategoricalProfile,
    current: &CategoricalCurrent,
    choice: Choice,
) -> Result<FeatureDrift, MethodError> {
    let method = choose_method(
        name,
        Kind::Categorical,
        choice.method,
        reference.count,
        reference.unique + current.unseen_distinct,
    )?;
    let sides = (
        Summary {
            count: reference.count,
            missing: reference.missing,
            ..Summary::default()
        },
        current.summary,
    );
    let statistics = if sides.0.count == 0 || sides.1.count == 0 {
        Statistics::default()
    } else {
        statistics(reference, current)
    };
    let mut drift = decide(name, Kind::Categorical, method, choice, statistics, sides);
    drift.current_unseen = Some(current.unseen);
    Ok(drift)
}

fn statistics(reference: &CategoricalProfile, current: &CategoricalCurrent) -> Statistics {
    // Bins: reference categories in name order, then everything else.
    let mut reference_shares: Vec<f64> = reference.frequencies.values().copied().collect();
    reference_shares.push(reference.other as f64 / reference.count as f64);
    let mut current_counts: Vec<f64> = reference
        .counts
        .keys()
        .map(|category| current.known.get(category).copied().unwrap_or(0) as f64)
        .collect();
    current_counts.push(current.unseen as f64);
    let n_cur = current.summary.count as f64;
    let current_shares: Vec<f64> = current_counts.iter().map(|c| c / n_cur).collect();
    let (chi2, chi2_p) = chi_square(&reference_shares, &current_counts);
    let z_p_value = (reference.unique + current.unseen_distinct <= 2).then(|| {
        let first_ref = reference.counts.values().next().copied().unwrap_or(0) as f64;
        two_proportion_z_test(first_ref, reference.count as f64, current_counts[0], n_cur)
    });
    Statistics {
        psi: Some(psi(&reference_shares, &current_shares)),
        jensen_shannon: Some(jensen_shannon(&reference_shares, &current_shares)),
        chi2_statistic: Some(chi2),
        chi2_p_value: Some(chi2_p),
        z_p_value,
        ..Statistics::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_counts_the_values_the_baseline_never_saw() {
        let reference = CategoricalProfile {
            count: 10,
            missing: 0,
            missing_rate: 0.0,
            unique: 2,
            counts: [("basic".to_string(), 6), ("pro".to_string(), 4)].into(),
            frequencies: [("basic".to_string(), 0.6), ("pro".to_string(), 0.4)].into(),
            other: 0,
        };
        let values: Labels = ["basic", "gold", "gold", "platinum"]
            .into_iter()
            .map(Some)
            .chain([None])
            .collect();
        let current = CategoricalCurrent::from_values(&values, &reference);
        assert_eq!(current.unseen, 3, "gold twice, platinum once");
        assert_eq!((current.summary.count, current.summary.missing), (4, 1));
        assert_eq!(current.unseen_distinct, 2);
        let drift = categorical_drift("plan", &reference, &current, Choice::default()).unwrap();
        assert_eq!(
            drift.current_unseen,
            Some(3),
            "the verdict carries the count"
        );
    }
}
