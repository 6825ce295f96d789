//! Exact quantiles of a sorted sample, with numpy's default ("linear")
//! definition, so that baseline percentiles match `numpy.percentile`.

/// The `q`-quantile (q in [0, 1]) of ascending `sorted`; `None` when empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = q.clamp(0.0, 1.0) * last as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(last);
    let fraction = position - below as f64;
    Some(sorted[below] + (sorted[above] - sorted[below]) * fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_linear_interpolation() {
        // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 90, 100]) = [1, 1.75, 2.5, 3.7, 4]
        let data = [1.0, 2.0, 3.0, 4.0];
        let expected = [(0.0, 1.0), (0.25, 1.75), (0.5, 2.5), (0.9, 3.7), (1.0, 4.0)];
        for (q, value) in expected {
            assert!(
                (quantile_sorted(&data, q).unwrap() - value).abs() < 1e-12,
                "q {q}"
            );
        }
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert_eq!(quantile_sorted(&[7.0], 0.3), Some(7.0));
    }
}
