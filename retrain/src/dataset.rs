//! The new dataset: recent production rows, the newest of them held out,
//! plus a bounded share of the champion's training rows. Pure and
//! deterministic: the same inputs give the same split and mix.

use mlobs_trainer::Example;

/// What the model trains on and what judges it.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Training rows: older production rows, then the training rows mixed in.
    pub train: Vec<Example>,
    /// The newest production rows; no model being compared trained on them.
    pub holdout: Vec<Example>,
    /// How many of `train` came from production.
    pub production_rows: usize,
    /// How many came from the champion's training data.
    pub training_rows: usize,
}

/// Splits `production` (oldest first) and mixes in `training`: the newest
/// `holdout_share` of production is held out; the rest trains, together
/// with evenly spaced training rows making up at most `training_share` of
/// the training set.
pub fn split(
    production: &[Example],
    training: &[Example],
    holdout_share: f64,
    training_share: f64,
) -> Split {
    let held = ((production.len() as f64) * holdout_share).round() as usize;
    let cut = production.len() - held.min(production.len());
    let (older, newest) = production.split_at(cut);
    // t / (p + t) <= share  <=>  t <= share * p / (1 - share)
    let wanted = (training_share * older.len() as f64 / (1.0 - training_share)).floor() as usize;
    let mixed = evenly(training, wanted.min(training.len()));
    let mut train = older.to_vec();
    train.extend(mixed);
    Split {
        production_rows: older.len(),
        training_rows: train.len() - older.len(),
        train,
        holdout: newest.to_vec(),
    }
}

/// `n` rows of `rows` spread evenly over it (every k-th).
fn evenly(rows: &[Example], n: usize) -> Vec<Example> {
    if n == 0 {
        return Vec::new();
    }
    let step = rows.len() as f64 / n as f64;
    (0..n)
        .map(|i| rows[(i as f64 * step) as usize].clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn rows(label: &str, n: usize) -> Vec<Example> {
        (0..n)
            .map(|i| Example {
                features: BTreeMap::from([(
                    "i".to_string(),
                    mlobs_schemas::FeatureValue::Numeric(i as f64),
                )]),
                label: label.to_string(),
            })
            .collect()
    }

    #[test]
    fn the_newest_rows_are_held_out_and_the_training_share_is_a_bound() {
        let production = rows("p", 1000);
        let training = rows("t", 5000);
        let s = split(&production, &training, 0.2, 0.1);
        assert_eq!(s.holdout.len(), 200);
        assert_eq!(s.holdout[0], production[800], "the newest 20%");
        assert_eq!(s.production_rows, 800);
        // 88 / (800 + 88) = 9.9%: at most the share.
        assert_eq!(s.training_rows, 88);
        assert_eq!(s.train.len(), 888);
        assert!(s.train[800..].iter().all(|r| r.label == "t"));
        // Spread over the whole training set, not its head.
        let last = &s.train.last().unwrap().features["i"];
        assert!(
            matches!(last, mlobs_schemas::FeatureValue::Numeric(x) if *x > 4900.0),
            "{last:?}"
        );
    }

    #[test]
    fn no_training_share_or_no_training_rows_trains_on_production_alone() {
        let production = rows("p", 100);
        assert_eq!(
            split(&production, &rows("t", 50), 0.2, 0.0).training_rows,
            0
        );
        assert_eq!(split(&production, &[], 0.2, 0.5).training_rows, 0);
        let few = split(&production, &rows("t", 3), 0.2, 0.5);
        assert_eq!(few.training_rows, 3, "all there is");
    }
}
