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

    /// The moments of a slice of finite values, the same as adding them one
    /// at a time up to rounding. Two passes per block of values (the sum,
    /// then the squared deviations from the block's mean), each kept in
    /// four independent sums, and the blocks merged: no division per value
    /// and no chain of dependent additions, several times faster on the
    /// million-value columns of `mlobs drift`.
    pub fn of_slice(values: &[f64]) -> Self {
        const BLOCK: usize = 4096;
        let mut all = Moments::default();
        for block in values.chunks(BLOCK) {
            let mean = lanes_sum(block, |x| x) / block.len() as f64;
            let (min, max) = block
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                });
            all.merge(&Moments {
                count: block.len() as u64,
                mean,
                m2: lanes_sum(block, |x| (x - mean) * (x - mean)),
                min,
                max,
            });
        }
        all
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

/// The sum of `f` over `values` in four interleaved partial sums, which
/// the processor adds in parallel.
fn lanes_sum(values: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut lanes = [0.0; 4];
    let quads = values.chunks_exact(4);
    let rest: f64 = quads.remainder().iter().map(|&x| f(x)).sum();
    for quad in quads {
        for (lane, &x) in lanes.iter_mut().zip(quad) {
            *lane += f(x);
        }
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + rest
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
        // A slice at once, over several blocks and a ragged end.
        let long: Vec<f64> = (0..10_003).map(|i| values[i % 1000] + i as f64).collect();
        let mut one_by_one = Moments::default();
        long.iter().for_each(|v| one_by_one.add(*v));
        let at_once = Moments::of_slice(&long);
        assert_eq!(at_once.count(), one_by_one.count());
        let close = |a: Option<f64>, b: Option<f64>| {
            (a.unwrap() - b.unwrap()).abs() < 1e-9 * b.unwrap().abs()
        };
        assert!(
            close(at_once.mean(), one_by_one.mean()),
            "{at_once:?} {one_by_one:?}"
        );
        assert!(
            close(at_once.std(), one_by_one.std()),
            "{at_once:?} {one_by_one:?}"
        );
        assert_eq!(
            (at_once.min(), at_once.max()),
            (one_by_one.min(), one_by_one.max())
        );
        assert_eq!(Moments::of_slice(&[]), Moments::default());
    }
}
