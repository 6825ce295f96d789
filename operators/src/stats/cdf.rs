//! Cumulative distribution functions as breakpoints, and the two distances
//! computed from a pair of them: Kolmogorov-Smirnov and Wasserstein-1.
//!
//! One representation serves exact samples (a step at every distinct value),
//! exact value counts, and t-digests (linear between centroids, steps at
//! single-value centroids). Between breakpoints a CDF is linear, so the
//! supremum of the difference of two CDFs is reached at a breakpoint of one of
//! them, and the integral of its absolute value has a closed form per interval.
//! With two exact samples both results equal scipy's `ks_2samp` statistic and
//! `wasserstein_distance`.

use super::tdigest::TDigest;

/// One breakpoint: the CDF just below `x` and at `x` (they differ when there
/// is probability mass exactly at `x`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Knot {
    x: f64,
    below: f64,
    at: f64,
}

/// A CDF given by breakpoints; 0 before the first, 1 after the last.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PiecewiseCdf {
    knots: Vec<Knot>,
}

impl PiecewiseCdf {
    /// The empirical CDF of a sample sorted ascending (non-finite values must
    /// have been removed).
    pub fn from_sorted(sorted: &[f64]) -> Self {
        let mut runs = Vec::new();
        let mut i = 0;
        while i < sorted.len() {
            let value = sorted[i];
            let start = i;
            while i < sorted.len() && sorted[i] == value {
                i += 1;
            }
            runs.push((value, (i - start) as f64));
        }
        Self::from_counts(runs)
    }

    /// The CDF of exact value counts, ascending by value.
    pub fn from_counts(counts: impl IntoIterator<Item = (f64, f64)>) -> Self {
        let counts: Vec<(f64, f64)> = counts.into_iter().filter(|(_, n)| *n > 0.0).collect();
        let total: f64 = counts.iter().map(|(_, n)| n).sum();
        let mut before = 0.0;
        let knots = counts
            .into_iter()
            .map(|(x, n)| {
                let knot = Knot {
                    x,
                    below: before / total,
                    at: (before + n) / total,
                };
                before += n;
                knot
            })
            .collect();
        PiecewiseCdf { knots }
    }

    /// The CDF of a column of `rows` values known at some of its ranks
    /// (`(rank, value)`, 0-based ranks ascending): exact at each known
    /// value, and rising linearly between two known values in place of the
    /// values between them. With every rank known it is the column's own.
    pub fn from_ranks(ranked: impl IntoIterator<Item = (u64, f64)>, rows: u64) -> Self {
        let rows = rows as f64;
        let mut knots: Vec<Knot> = Vec::new();
        for (rank, x) in ranked {
            let at = (rank + 1) as f64 / rows;
            match knots.last_mut() {
                Some(knot) if knot.x == x => knot.at = at,
                _ => knots.push(Knot {
                    x,
                    below: rank as f64 / rows,
                    at,
                }),
            }
        }
        PiecewiseCdf { knots }
    }

    /// The CDF a t-digest estimates: linear between centroid means (where the
    /// cumulative weight is the weight before plus half the centroid), a step
    /// at single-value centroids, 0 at the minimum and 1 at the maximum.
    pub fn from_digest(digest: &TDigest) -> Self {
        let (Some(min), Some(max)) = (digest.min(), digest.max()) else {
            return PiecewiseCdf::default();
        };
        let total = digest.count() as f64;
        let mut knots = vec![Knot {
            x: min,
            below: 0.0,
            at: 0.0,
        }];
        let mut before = 0.0;
        for c in digest.centroids() {
            if c.weight == 1.0 {
                knots.push(Knot {
                    x: c.mean,
                    below: before / total,
                    at: (before + 1.0) / total,
                });
            } else {
                let mid = (before + c.weight / 2.0) / total;
                knots.push(Knot {
                    x: c.mean,
                    below: mid,
                    at: mid,
                });
            }
            before += c.weight;
        }
        knots.push(Knot {
            x: max,
            below: 1.0,
            at: 1.0,
        });
        // Fold breakpoints at the same x into one step.
        let mut folded: Vec<Knot> = Vec::with_capacity(knots.len());
        for knot in knots {
            match folded.last_mut() {
                Some(last) if last.x == knot.x => last.at = knot.at.max(last.at),
                _ => folded.push(knot),
            }
        }
        if let Some(last) = folded.last_mut() {
            last.at = 1.0;
        }
        PiecewiseCdf { knots: folded }
    }

    /// The CDF at `x` (right-continuous: mass at `x` included).
    pub fn at(&self, x: f64) -> f64 {
        let next = self.knots.partition_point(|k| k.x < x);
        Cursor {
            knots: &self.knots,
            next,
        }
        .eval(x)
        .1
    }

    /// How far the CDF can be from its sample's between two breakpoints
    /// where it was interpolated (a t-digest's centroids, a baseline kept at
    /// ranks): the largest rise over one linear piece. 0 when it is exact.
    pub fn interpolation_error(&self) -> f64 {
        self.knots
            .windows(2)
            .map(|pair| pair[1].below - pair[0].at)
            .fold(0.0, f64::max)
    }

    /// True when the distribution has no mass (an empty sample).
    pub fn is_empty(&self) -> bool {
        self.knots.is_empty()
    }
}

/// Evaluates a CDF at nondecreasing points in one pass.
struct Cursor<'a> {
    knots: &'a [Knot],
    next: usize,
}

impl<'a> Cursor<'a> {
    fn new(cdf: &'a PiecewiseCdf) -> Self {
        Cursor {
            knots: &cdf.knots,
            next: 0,
        }
    }

    /// (F just below x, F at x), for x not smaller than any earlier call.
    fn eval(&mut self, x: f64) -> (f64, f64) {
        while self.next < self.knots.len() && self.knots[self.next].x < x {
            self.next += 1;
        }
        match (
            self.next.checked_sub(1).map(|i| self.knots[i]),
            self.knots.get(self.next),
        ) {
            (_, Some(k)) if k.x == x => (k.below, k.at),
            (None, _) => (0.0, 0.0),
            (Some(_), None) => (1.0, 1.0),
            (Some(a), Some(b)) => {
                let f = a.at + (b.below - a.at) * (x - a.x) / (b.x - a.x);
                (f, f)
            }
        }
    }
}

/// Every breakpoint x of either CDF, ascending, without repeats.
fn union_of_points(a: &PiecewiseCdf, b: &PiecewiseCdf) -> Vec<f64> {
    let mut points = Vec::with_capacity(a.knots.len() + b.knots.len());
    let (mut i, mut j) = (0, 0);
    while i < a.knots.len() || j < b.knots.len() {
        let x = match (a.knots.get(i), b.knots.get(j)) {
            (Some(p), Some(q)) => p.x.min(q.x),
            (Some(p), None) => p.x,
            (None, Some(q)) => q.x,
            (None, None) => unreachable!("loop condition"),
        };
        while a.knots.get(i).is_some_and(|k| k.x == x) {
            i += 1;
        }
        while b.knots.get(j).is_some_and(|k| k.x == x) {
            j += 1;
        }
        points.push(x);
    }
    points
}

/// Largest absolute difference between the two CDFs (the two-sample
/// Kolmogorov-Smirnov statistic for two empirical CDFs).
pub fn ks_statistic(a: &PiecewiseCdf, b: &PiecewiseCdf) -> f64 {
    let (mut ca, mut cb) = (Cursor::new(a), Cursor::new(b));
    union_of_points(a, b).into_iter().fold(0.0, |sup, x| {
        let ((a_below, a_at), (b_below, b_at)) = (ca.eval(x), cb.eval(x));
        sup.max((a_below - b_below).abs()).max((a_at - b_at).abs())
    })
}

/// Integral of the absolute difference of the two CDFs: the Wasserstein-1
/// (earth mover's) distance.
pub fn wasserstein(a: &PiecewiseCdf, b: &PiecewiseCdf) -> f64 {
    let (mut ca, mut cb) = (Cursor::new(a), Cursor::new(b));
    let points = union_of_points(a, b);
    let mut total = 0.0;
    let mut previous: Option<(f64, f64)> = None; // (x, difference at x)
    for x in points {
        let ((a_below, a_at), (b_below, b_at)) = (ca.eval(x), cb.eval(x));
        if let Some((x0, d0)) = previous {
            total += integral_of_abs_linear(d0, a_below - b_below, x - x0);
        }
        previous = Some((x, a_at - b_at));
    }
    total
}

/// Integral over a width `h` of |d| where d goes linearly from `d0` to `d1`.
fn integral_of_abs_linear(d0: f64, d1: f64, h: f64) -> f64 {
    if d0 * d1 >= 0.0 {
        h * (d0.abs() + d1.abs()) / 2.0
    } else {
        h * (d0 * d0 + d1 * d1) / (2.0 * (d0.abs() + d1.abs()))
    }
}

#[cfg(test)]
#[path = "cdf_tests.rs"]
mod tests;
