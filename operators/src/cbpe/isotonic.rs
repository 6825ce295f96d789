//! Isotonic regression: the non-decreasing step function closest (in
//! weighted squared error) to a set of points, by pool-adjacent-violators.
//! It follows scikit-learn's `IsotonicRegression(out_of_bounds="clip")`,
//! which NannyML's CBPE calibrates with: equal x values are averaged first,
//! only the points where the fit changes are kept, and predictions
//! interpolate linearly between them and clip outside.

/// A fitted non-decreasing map.
#[derive(Debug, Clone, PartialEq)]
pub struct Isotonic {
    /// Ascending inputs where the fit changes (scikit-learn's `X_thresholds_`).
    x: Vec<f64>,
    /// The fitted values there (`y_thresholds_`).
    y: Vec<f64>,
}

impl Isotonic {
    /// Fits `(x, y, weight)` points (any order; non-finite x or y and
    /// non-positive weights are skipped). `None` when no point is left.
    pub fn fit(points: &[(f64, f64, f64)]) -> Option<Self> {
        let mut sorted: Vec<(f64, f64, f64)> = points
            .iter()
            .copied()
            .filter(|(x, y, w)| x.is_finite() && y.is_finite() && *w > 0.0)
            .collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Equal x: one point, its weighted mean, carrying the summed weight.
        let mut blocks: Vec<Block> = Vec::new();
        for (x, y, w) in sorted {
            match blocks.last_mut() {
                // len 0: the pooled point adds weight, not another x.
                Some(last) if last.x == x => last.pool(&Block {
                    len: 0,
                    ..Block::new(x, y, w)
                }),
                _ => blocks.push(Block::new(x, y, w)),
            }
        }
        if blocks.is_empty() {
            return None;
        }
        let xs: Vec<f64> = blocks.iter().map(|b| b.x).collect();
        let fitted = pool_adjacent_violators(&blocks);
        Some(keep_changes(xs, fitted))
    }

    /// The fitted value at `x`: linear between the kept points, the end
    /// values outside them.
    pub fn predict(&self, x: f64) -> f64 {
        let last = self.x.len() - 1;
        if x <= self.x[0] {
            return self.y[0];
        }
        if x >= self.x[last] {
            return self.y[last];
        }
        // The first kept point above x; x lies in (x[i-1], x[i]].
        let i = self.x.partition_point(|&t| t < x);
        let (x0, x1, y0, y1) = (self.x[i - 1], self.x[i], self.y[i - 1], self.y[i]);
        y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    }
}

/// A run of points pooled to one value.
#[derive(Debug, Clone, Copy)]
struct Block {
    x: f64,
    /// Weighted mean of the pooled y.
    mean: f64,
    weight: f64,
    /// How many distinct x the block spans.
    len: usize,
}

impl Block {
    fn new(x: f64, y: f64, weight: f64) -> Self {
        Block {
            x,
            mean: y,
            weight,
            len: 1,
        }
    }

    fn pool(&mut self, other: &Block) {
        let weight = self.weight + other.weight;
        self.mean = (self.mean * self.weight + other.mean * other.weight) / weight;
        self.weight = weight;
        self.len += other.len;
    }
}

/// The fitted value of every distinct x: adjacent blocks are pooled while
/// a block's mean falls below its left neighbour's.
fn pool_adjacent_violators(points: &[Block]) -> Vec<f64> {
    let mut stack: Vec<Block> = Vec::with_capacity(points.len());
    for point in points {
        let mut current = *point;
        while let Some(left) = stack.last() {
            if left.mean <= current.mean {
                break;
            }
            let mut pooled = stack.pop().expect("just looked");
            pooled.pool(&current);
            current = pooled;
        }
        stack.push(current);
    }
    stack
        .iter()
        .flat_map(|block| std::iter::repeat_n(block.mean, block.len))
        .collect()
}

/// Drops the inner points of flat runs, as scikit-learn does: a point is
/// kept when the fit differs from either neighbour (the ends always).
fn keep_changes(xs: Vec<f64>, ys: Vec<f64>) -> Isotonic {
    let n = ys.len();
    let keep = |i: usize| i == 0 || i == n - 1 || ys[i - 1] != ys[i] || ys[i] != ys[i + 1];
    let (x, y) = (0..n).filter(|&i| keep(i)).map(|i| (xs[i], ys[i])).unzip();
    Isotonic { x, y }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(points: &[(f64, f64)]) -> Isotonic {
        let weighted: Vec<_> = points.iter().map(|&(x, y)| (x, y, 1.0)).collect();
        Isotonic::fit(&weighted).unwrap()
    }

    #[test]
    fn violators_are_pooled_to_their_mean() {
        // 0.3 then 0.1 violate: both become 0.2.
        let map = fit(&[(0.0, 0.0), (1.0, 0.3), (2.0, 0.1), (3.0, 1.0)]);
        assert_eq!(map.x, vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(map.y, vec![0.0, 0.2, 0.2, 1.0]);
        assert_eq!(map.predict(1.5), 0.2);
        assert!((map.predict(2.5) - 0.6).abs() < 1e-15);
        assert_eq!((map.predict(-5.0), map.predict(9.0)), (0.0, 1.0));
    }

    #[test]
    fn equal_inputs_are_averaged_and_flat_runs_keep_their_ends() {
        let map = fit(&[(1.0, 1.0), (1.0, 0.0), (2.0, 0.5), (3.0, 0.5), (4.0, 0.5)]);
        assert_eq!(map.x, vec![1.0, 4.0]);
        assert_eq!(map.y, vec![0.5, 0.5]);
    }

    #[test]
    fn the_fit_never_decreases() {
        let points: Vec<(f64, f64)> = (0..500)
            .map(|i| (i as f64, ((i * 7919) % 101) as f64 / 100.0))
            .collect();
        let map = fit(&points);
        assert!(map.y.windows(2).all(|w| w[0] <= w[1]));
        assert!(Isotonic::fit(&[(f64::NAN, 1.0, 1.0)]).is_none());
    }
}
