//! The two-sample Kolmogorov-Smirnov p-value as `scipy.stats.ks_2samp`
//! computes it by default (`method="auto"`), which is what Evidently calls:
//! exact when neither sample has more than 10,000 values, else the
//! asymptotic distribution ([`ks_two_sample_pvalue`]).
//!
//! The exact value is the share of monotone lattice paths from (0, 0) to
//! (m, n) that leave the band |x/m - y/n| < d (Hodges 1958, "The
//! significance probability of the Smirnov two-sample test"). It is counted
//! one column at a time as one minus the share that stays inside, so every
//! intermediate value lies in [0, 1] (Viehmann 2021, arXiv:2102.08037).

use super::pvalues::ks_two_sample_pvalue;

/// Above this many values in either sample, scipy's `auto` is asymptotic.
pub const EXACT_MAX_SAMPLE: u64 = 10_000;

/// Two-sided p-value for the KS statistic `d` of samples of sizes `n1`,
/// `n2`, as `ks_2samp(a, b).pvalue` (scipy 1.17). Falls back to the
/// asymptotic value where scipy does: large samples, or an exact count
/// that is not a probability.
pub fn ks_2samp_pvalue(d: f64, n1: u64, n2: u64) -> f64 {
    if d.is_nan() || n1 == 0 || n2 == 0 || n1.max(n2) > EXACT_MAX_SAMPLE {
        return ks_two_sample_pvalue(d, n1, n2);
    }
    let g = gcd(n1, n2);
    // The statistic is a multiple of 1/lcm(n1, n2); recover that multiple.
    let lcm = (n1 / g) as f64 * n2 as f64;
    let h = (d * lcm).round_ties_even();
    if h <= 0.0 {
        return 1.0;
    }
    let h = h as u64;
    let exact = if n1 == n2 {
        Some(outside_square(n1, h))
    } else {
        outside_band(n1, n2, g, h)
    };
    match exact {
        Some(p) if (0.0..=1.0).contains(&p) => p,
        _ => ks_two_sample_pvalue(h as f64 / lcm, n1, n2).clamp(0.0, 1.0),
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Equal sizes `n`: the share of paths that touch x - y = +/-h, by the
/// reflection principle summed from the outermost reflection inwards.
fn outside_square(n: u64, h: u64) -> f64 {
    let (n, h) = (n as f64, h as f64);
    let mut share = 0.0;
    let mut k = (n / h).floor();
    while k >= 0.0 {
        let mut term = 1.0;
        for j in 0..h as u64 {
            let j = j as f64;
            term = (n - k * h - j) * term / (n + k * h + j + 1.0);
        }
        share = term * (1.0 - share);
        k -= 1.0;
    }
    2.0 * share
}

/// Unequal sizes: one minus the share of paths that stay strictly inside
/// |n x - m y| / g < h, keeping only the sliding window of one column.
/// `None` when the window would leave its buffer (scipy would fail there
/// and fall back to the asymptotic value too).
fn outside_band(n1: u64, n2: u64, g: u64, h: u64) -> Option<f64> {
    let (m, n) = (n1.max(n2), n1.min(n2));
    let (mg, ng) = ((m / g) as f64, (n / g) as f64);
    let (hf, n_us) = (h as f64, n as usize);
    let mut min_j = 0usize;
    let mut max_j = ((hf / mg).ceil() as usize).min(n_us + 1);
    let mut current_len = max_j - min_j;
    let mut column = vec![1.0f64; (2 * max_j + 2).min(n_us + 1)];
    column[min_j..max_j].iter_mut().for_each(|a| *a = 0.0);
    for i in 1..=m {
        let (last_min_j, last_len) = (min_j, current_len);
        let i_f = i as f64;
        let low = ((ng * i_f - hf) / mg).floor() + 1.0;
        min_j = (low.max(0.0) as usize).min(n_us);
        max_j = (((ng * i_f + hf) / mg).ceil() as usize).min(n_us + 1);
        if max_j <= min_j {
            return Some(1.0);
        }
        let mut value = if min_j == 0 { 0.0 } else { 1.0 };
        for jj in 0..max_j - min_j {
            let j = (jj + min_j) as f64;
            let left = *column.get(jj + min_j - last_min_j)?;
            value = (left * i_f + value * j) / (i_f + j);
            *column.get_mut(jj)? = value;
        }
        current_len = max_j - min_j;
        if last_len > current_len {
            let start = (max_j - min_j).min(column.len());
            let end = (max_j - min_j + last_len - current_len).min(column.len());
            column[start..end].iter_mut().for_each(|a| *a = 1.0);
        }
    }
    column.get(max_j - min_j - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_samples_give_one_and_disjoint_small_ones_a_tiny_value() {
        assert_eq!(ks_2samp_pvalue(0.0, 10, 7), 1.0);
        // Two disjoint samples of 5: only the 2 extreme orderings of C(10, 5).
        let p = ks_2samp_pvalue(1.0, 5, 5);
        assert!((p - 2.0 / 252.0).abs() < 1e-15, "{p}");
        // Sizes 3 and 2, disjoint: 2 of C(5, 2) = 10 orderings.
        let p = ks_2samp_pvalue(1.0, 3, 2);
        assert!((p - 0.2).abs() < 1e-15, "{p}");
    }

    #[test]
    fn large_samples_are_asymptotic() {
        assert_eq!(
            ks_2samp_pvalue(0.02, 20_000, 5_000),
            ks_two_sample_pvalue(0.02, 20_000, 5_000)
        );
    }
}
