//! Count, mean and variance that merge (Chan et al.'s parallel update), with
//! min and max.

use serde::{Deserialize, Serialize};

/// Running moments of a stream of finite numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    count: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Default for Moments {
    fn default() -> Self {
        // min and max mean nothing while count is 0; finite keeps JSON valid.
        Moments {
            count: 0,
            mean: 0.0,
            m2: 0.0,
            min: 0.0,
            max: 0.0,
        }
    }
}

impl Moments {
    /// Adds one finite value.
    pub fn add(&mut self, x: f64) {
        if self.count == 0 {
            (self.min, self.max) = (x, x);
        }
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// Folds `other` in.
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let n = (self.count + other.count) as f64;
        let delta = other.mean - self.mean;
        self.mean += delta * other.count as f64 / n;
        self.m2 += other.m2 + delta * delta * self.count as f64 * other.count as f64 / n;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean, if any value was added.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    /// Population standard deviation (ddof = 0, as numpy's default).
    pub fn std(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.m2 / self.count as f64).max(0.0).sqrt())
    }

    /// Smallest value.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest value.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }
}

/// Count, missing and (numeric only) moments of one side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Non-missing values.
    pub count: u64,
    /// Missing values.
    pub missing: u64,
    /// Mean (numeric only).
    pub mean: Option<f64>,
    /// Population standard deviation (numeric only).
    pub std: Option<f64>,
    /// Smallest value (numeric only).
    pub min: Option<f64>,
    /// Largest value (numeric only).
    pub max: Option<f64>,
}

impl Summary {
    /// The summary of numeric values with these moments, plus `missing`.
    pub fn numeric(moments: &Moments, missing: u64) -> Self {
        Summary {
            count: moments.count(),
            missing,
            mean: moments.mean(),
            std: moments.std(),
            min: moments.min(),
            max: moments.max(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_moments_equal_direct_ones() {
        let values: Vec<f64> = (0..1000)
            .map(|i| (i as f64 * 0.37).sin() * 10.0 + 5.0)
            .collect();
        let mut whole = Moments::default();
        values.iter().for_each(|v| whole.add(*v));
        let (mut a, mut b) = (Moments::default(), Moments::default());
        values[..300].iter().for_each(|v| a.add(*v));
        values[300..].iter().for_each(|v| b.add(*v));
        a.merge(&b);
        let mean = values.iter().sum::<f64>() / 1000.0;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 1000.0).sqrt();
        assert!(
            (a.mean().unwrap() - mean).abs() < 1e-12
                && (whole.mean().unwrap() - mean).abs() < 1e-12
        );
        assert!(
            (a.std().unwrap() - std).abs() < 1e-12 && (whole.std().unwrap() - std).abs() < 1e-12
        );
        assert_eq!((a.min(), a.max()), (whole.min(), whole.max()));
        assert_eq!(Moments::default().std(), None);
    }
}
