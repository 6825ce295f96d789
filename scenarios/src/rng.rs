//! A small deterministic random number generator (xoshiro256++ seeded by
//! SplitMix64). Scenarios must replay bit for bit from a seed across releases,
//! which a dependency's generator does not promise; this one is fixed here.

/// Deterministic generator: the same seed gives the same stream forever.
#[derive(Debug, Clone)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            state: [next(), next(), next(), next()],
        }
    }

    /// Generator number `stream` of a seed: the simulator draws traffic,
    /// rows, drift, outcomes and faults from separate streams so that adding
    /// a drift or a fault to a scenario leaves every other draw unchanged.
    pub fn stream(seed: u64, stream: u64) -> Self {
        Rng::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // in (0, 1], so ln is finite
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Exponential with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.uniform()).ln()
    }

    /// Exponential with the given mean, conditioned on being at most `max`
    /// (inverse CDF, one draw): label delays need a hard bound that the
    /// pipeline's join TTL can be set above.
    pub fn truncated_exponential(&mut self, mean: f64, max: f64) -> f64 {
        let mass = 1.0 - (-max / mean).exp();
        (-mean * (1.0 - self.uniform() * mass).ln()).min(max)
    }

    /// Uniform in [low, high).
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform()
    }

    /// Lognormal whose logarithm is normal(ln median, sigma): the usual shape
    /// of latencies, incomes and other positive skewed quantities.
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// An index drawn with probability proportional to `weights`.
    pub fn pick(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.uniform() * total;
        for (i, w) in weights.iter().enumerate() {
            if target < *w {
                return i;
            }
            target -= w;
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_sane_moments() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        assert!((0..1000).all(|_| a.next_u64() == b.next_u64()));
        let mut rng = Rng::new(1);
        let n = 100_000;
        let draws: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.02,
            "mean {mean} var {var}"
        );
        let picks = (0..n).filter(|_| rng.pick(&[1.0, 3.0]) == 1).count() as f64 / n as f64;
        assert!((picks - 0.75).abs() < 0.01, "{picks}");
    }

    #[test]
    fn truncated_exponential_stays_below_its_max_with_the_right_mean() {
        let mut rng = Rng::stream(3, 1);
        let n = 100_000;
        let draws: Vec<f64> = (0..n)
            .map(|_| rng.truncated_exponential(2.0, 4.0))
            .collect();
        assert!(draws.iter().all(|d| (0.0..=4.0).contains(d)));
        // Mean of Exp(2) truncated at 4: 2 - 4 e^-2 / (1 - e^-2).
        let expected = 2.0 - 4.0 * (-2.0f64).exp() / (1.0 - (-2.0f64).exp());
        let mean = draws.iter().sum::<f64>() / n as f64;
        assert!((mean - expected).abs() < 0.02, "{mean} vs {expected}");
        let mut rng = Rng::stream(3, 2);
        let mut logs: Vec<f64> = (0..n).map(|_| rng.lognormal(10.0, 0.5)).collect();
        logs.sort_by(f64::total_cmp);
        assert!((logs[n / 2] - 10.0).abs() < 0.1, "median {}", logs[n / 2]);
    }
}
