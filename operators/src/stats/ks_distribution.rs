//! Survival function of the two-sided one-sample Kolmogorov-Smirnov statistic
//! D_n, ported from SciPy 1.17 so that `ks_two_sample_pvalue` reproduces
//! `scipy.stats.ks_2samp(..., method='asymp')`.
//!
//! * `kolmogn_sf` is `scipy/stats/_ksstats.py::_kolmogn(n, x, cdf=False)`,
//!   including its Simard & L'Ecuyer (2011) choice between algorithms, with
//!   the Durbin matrix (Marsaglia-Tsang-Wang), Pomeranz and Pelz-Good
//!   algorithms below.
//! * `smirnov_sf` is `scipy.special.smirnov` (xsf `cephes/kolmogorov.h`),
//!   the one-sided statistic's survival function, which keeps its terms in
//!   double-double arithmetic plus a separate binary exponent so that the
//!   sums stay accurate for n up to 10^6.
//!
//! Only the survival direction is ported (the p-value is all we need).

use std::f64::consts::{LN_2, PI};

/// 2^128 and 2^-128: the rescaling steps used by scipy's matrix/recursion code.
const E128: i64 = 128;
const EP128: f64 = 3.402_823_669_209_385e38;
const EM128: f64 = 2.938_735_877_055_719e-39;
/// Stirling-series coefficients B_2j / (2j (2j - 1)), j = 8..1 (scipy's `_STIRLING_COEFFS`).
#[rustfmt::skip]
const STIRLING_COEFFS: [f64; 8] = [
    -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3,
    8.4175084175084175084e-4, -5.952380952380952381e-4, 7.9365079365079365079e-4,
    -2.7777777777777777778e-3, 8.3333333333333333333e-2,
];

fn clip(p: f64) -> f64 {
    p.clamp(0.0, 1.0)
}

/// x * 2^e without intermediate overflow (C `ldexp`).
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    let pow2 = |k: i64| f64::from_bits(((k + 1023) as u64) << 52);
    while e > 1000 {
        x *= pow2(1000);
        e -= 1000;
        if x.is_infinite() || x == 0.0 {
            return x;
        }
    }
    while e < -1000 {
        x *= pow2(-1000);
        e += 1000;
        if x == 0.0 {
            return x;
        }
    }
    x * pow2(e)
}

/// C `frexp`: x = m * 2^e with 0.5 <= |m| < 1 (zero and non-finite pass through).
fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (x, bias) = if x.abs() < f64::MIN_POSITIVE {
        (x * EP128 * EP128, 256)
    } else {
        (x, 0)
    };
    let e = ((x.to_bits() >> 52) & 0x7ff) as i64 - 1022;
    (
        f64::from_bits((x.to_bits() & !(0x7ff << 52)) | (1022 << 52)),
        e - bias,
    )
}

/// SF of `scipy.stats.kstwo` (exact distribution of D_n), i.e. `_kolmogn(n, x, cdf=False)`.
/// `n` must be a whole number >= 1.
pub(super) fn kolmogn_sf(n: f64, x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let t = n * x;
    if t <= 1.0 {
        // Ruben-Gambino: 1/(2n) <= x <= 1/n, CDF = n!/n^n (2t-1)^n.
        if t <= 0.5 {
            return 1.0;
        }
        let cdf = if n <= 140.0 {
            (1..=n as u32).fold(1.0, |acc, i| {
                acc * (f64::from(i) * (1.0 / n) * (2.0 * t - 1.0))
            })
        } else {
            (log_nfactorial_div_n_pow_n(n) + n * (2.0 * t - 1.0).ln()).exp()
        };
        return clip(1.0 - cdf);
    }
    if t >= n - 1.0 {
        return clip(2.0 * (1.0 - x).powf(n)); // Ruben-Gambino
    }
    if x >= 0.5 {
        return clip(2.0 * smirnov_sf(n, x)); // exact: the one-sided events are disjoint
    }
    let nxsquared = t * x;
    if n <= 140.0 {
        let cdf = if nxsquared <= 0.754693 {
            dmtw_cdf(n as usize, x)
        } else if nxsquared <= 4.0 {
            pomeranz_cdf(n as usize, x)
        } else {
            return clip(2.0 * smirnov_sf(n, x)); // Miller approximation
        };
        return sf_from_cdf(cdf);
    }
    if nxsquared >= 370.0 {
        return 0.0;
    }
    if nxsquared >= 2.2 {
        return clip(2.0 * smirnov_sf(n, x));
    }
    let cdf = if n <= 100_000.0 && n * x.powf(1.5) <= 1.4 {
        dmtw_cdf(n as usize, x)
    } else {
        Dd::new(pelz_good_cdf(n, x))
    };
    sf_from_cdf(cdf)
}

/// 1 - clip(cdf), with the subtraction done in double-double: SciPy's DMTW
/// and Pomeranz code finishes in numpy long double, which keeps this
/// difference accurate when the CDF is close to 1.
fn sf_from_cdf(cdf: Dd) -> f64 {
    let cdf = if cdf.hi < 0.0 {
        Dd::new(0.0)
    } else if cdf.hi > 1.0 {
        Dd::new(1.0)
    } else {
        cdf
    };
    clip(Dd::new(1.0).sub(cdf).hi)
}

/// log(n! / n^n) by Stirling's series with n log n removed up front.
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    let rn = 1.0 / n;
    let poly = STIRLING_COEFFS
        .iter()
        .fold(0.0, |acc, c| acc * (rn / n) + c);
    n.ln() / 2.0 - n + (2.0 * PI).ln() / 2.0 + rn * poly
}

fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * m];
    for (crow, arow) in c.chunks_mut(m).zip(a.chunks(m)) {
        for (&aik, brow) in arow.iter().zip(b.chunks(m)) {
            for (cij, &bkj) in crow.iter_mut().zip(brow) {
                *cij += aik * bkj;
            }
        }
    }
    c
}

/// Pr(D_n <= d) by Durbin's matrix algorithm as organised by Marsaglia, Tsang
/// and Wang (2003): the (k,k) entry of H^n times n!/n^n (`_kolmogn_DMTW`).
fn dmtw_cdf(n: usize, d: f64) -> Dd {
    let nf = n as f64;
    if d >= 1.0 {
        return Dd::new(1.0);
    }
    let nd = nf * d;
    if nd <= 0.5 {
        return Dd::new(0.0);
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powf(j as f64)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powf(m as f64) - 2.0 * h.powf(m as f64);
    v[m - 1] = (1.0 + tt) * fac;
    let mut hm = vec![0.0; m * m]; // row-major m x m
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r + 1 - i];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
        hm[(m - 1) * m + r] = v[m - 1 - r];
    }
    let mut hpwr = vec![0.0; m * m];
    hpwr.iter_mut().step_by(m + 1).for_each(|e| *e = 1.0);
    let (mut nn, mut expnt, mut hexpnt) = (n, 0_i64, 0_i64);
    while nn > 0 {
        if nn % 2 == 1 {
            hpwr = matmul(&hpwr, &hm, m);
            expnt += hexpnt;
        }
        hm = matmul(&hm, &hm, m);
        hexpnt *= 2;
        if hm[(k - 1) * m + k - 1].abs() > EP128 {
            hm.iter_mut().for_each(|e| *e /= EP128);
            hexpnt += E128;
        }
        nn /= 2;
    }
    let mut p = Dd::new(hpwr[(k - 1) * m + k - 1]);
    for i in 1..=n {
        p = p.mul(Dd::new(i as f64)).div(Dd::new(nf)); // multiply by n!/n^n
        if p.hi.abs() < EM128 {
            p = p.ldexp(E128);
            expnt -= E128;
        }
    }
    p.ldexp(expnt)
}

/// Endpoints of the non-zero band of row i in Pomeranz's recursion.
fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (ip1div2, ip1mod2) = ((i + 1) / 2, (i + 1) % 2);
        if ip1mod2 == 0 && ip1div2 == n + 1 {
            (n - ll - ceilf - 1, n + ll + ceilf - 1)
        } else if ip1mod2 == 0 {
            (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
        } else {
            (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// Pr(D_n <= x) by the Pomeranz (1974) recursion (`_kolmogn_Pomeranz`).
fn pomeranz_cdf(n: usize, x: f64) -> Dd {
    let (nf, ni) = (n as f64, n as i64);
    let t = nf * x;
    let llf = t.floor();
    let f = t - llf;
    let g = f.min(1.0 - f);
    let (ll, ceilf, roundf) = (llf as i64, i64::from(f > 0.0), i64::from(f > 0.5));
    let npwrs = 2 * (ll as usize + 1);
    // (g/n)^m/m!, (2g/n)^m/m!, ((1-2g)/n)^m/m!: Poisson weights without normalisation.
    let mut pw = [vec![1.0; npwrs], vec![1.0; npwrs], vec![1.0; npwrs]];
    let ratios = [g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf];
    for (p, r) in pw.iter_mut().zip(ratios) {
        for m in 1..npwrs {
            p[m] = p[m - 1] * r / m as f64;
        }
    }
    let (mut v0, mut v1) = (vec![0.0; npwrs], vec![0.0; npwrs]);
    v1[0] = 1.0;
    let (mut v0s, mut v1s, mut expnt) = (0_i64, 0_i64, 0_i64);
    let (mut j1, _) = pomeranz_j1j2(0, ni, ll, ceilf, roundf);
    for i in 1..(2 * ni + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.fill(0.0);
        let (nj1, j2) = pomeranz_j1j2(i, ni, ll, ceilf, roundf);
        j1 = nj1;
        let pwrs = if i == 1 || i == 2 * ni + 1 {
            &pw[0]
        } else if i % 2 == 1 {
            &pw[1]
        } else {
            &pw[2]
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            // V1[:len] = np.convolve(V0[k1-V0s:][:ln2], pwrs[:ln2])[j1-k1:][:len]
            let lo = (k1 - v0s).clamp(0, npwrs as i64) as usize;
            let a = &v0[lo..(lo + ln2 as usize).min(npwrs)];
            let b = &pwrs[..(ln2 as usize).min(npwrs)];
            let (conv_start, conv_len) = (j1 - k1, (j2 - j1 + 1).max(0) as usize);
            for (idx, out) in v1.iter_mut().take(conv_len).enumerate() {
                let c = conv_start + idx as i64; // index into the full convolution
                *out = (0..a.len() as i64)
                    .filter(|&ia| c - ia >= 0 && ((c - ia) as usize) < b.len())
                    .map(|ia| a[ia as usize] * b[(c - ia) as usize])
                    .sum();
            }
            let vmax = v1.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < vmax && vmax < EM128 {
                v1.iter_mut().for_each(|e| *e *= EP128);
                expnt -= E128;
            }
            v1s = v0s + j1 - k1;
        }
    }
    let mut ans = Dd::new(v1.get((ni - v1s).max(0) as usize).copied().unwrap_or(0.0));
    for m in 1..=n {
        if ans.hi.abs() > EP128 {
            ans = ans.ldexp(-E128);
            expnt += E128;
        }
        ans = ans.mul(Dd::new(m as f64)); // multiply by n!
    }
    ans.ldexp(expnt)
}

/// Pelz-Good (1976) asymptotic approximation to Pr(D_n <= x) (`_kolmogn_PelzGood`).
fn pelz_good_cdf(n: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let (pi2, pi4, pi6) = (PI.powf(2.0), PI.powf(4.0), PI.powf(6.0));
    let sqrt2pi = (2.0 * PI).sqrt();
    let z = n.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z.powf(3.0), z.powf(4.0), z.powf(6.0));
    let qlog = -pi2 / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let (k1a, k1b) = (-z2, pi2 / 4.0);
    let (k2a, k2b, k2c) = (
        6.0 * z6 + 2.0 * z4,
        (2.0 * z4 - 5.0 * z2) * pi2 / 4.0,
        pi4 * (1.0 - 2.0 * z2) / 16.0,
    );
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powf(8.0);
    let mut kk = [0.0_f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    // Horner scheme for sum_k c_k q^(k^2) over odd k.
    for k in (1..=maxk).rev() {
        let m = (2 * k - 1) as f64;
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let qpower = q.powf(8.0 * k as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (s, c) in kk.iter_mut().zip(coeffs) {
            *s = *s * qpower + c;
        }
    }
    let denoms = [z, 6.0 * z4, 72.0 * z.powf(7.0), 6480.0 * z.powf(10.0)];
    for (s, dnm) in kk.iter_mut().zip(denoms) {
        *s = *s * q * sqrt2pi / dnm;
    }
    // The remaining sums over all integers k.
    let q = (-pi2 / 2.0 / z2).exp();
    let sqrt3z = 3.0_f64.sqrt() * z;
    let (mut k2extra, mut k3extra) = (0.0, 0.0);
    for k in (1..=maxk).rev() {
        let (kf, ksq) = (k as f64, (k * k) as f64);
        let qp = q.powf(ksq);
        k2extra += ksq * qp;
        k3extra += (sqrt3z + kf * PI) * (sqrt3z - kf * PI) * ksq * qp;
    }
    kk[2] += k2extra * (pi2 * sqrt2pi / (-36.0 * z3));
    kk[3] += k3extra * (pi2 * sqrt2pi / (216.0 * z6));
    kk.iter()
        .enumerate()
        .map(|(i, s)| s / n.powf(i as f64 / 2.0))
        .sum()
}

/// Double-double number hi + lo (|lo| <= ulp(hi)/2), as in xsf's `dd_real.h`.
#[derive(Clone, Copy)]
struct Dd {
    hi: f64,
    lo: f64,
}

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    (s, (a - (s - c)) + (b - c))
}

fn quick_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    Dd {
        hi: s,
        lo: b - (s - a),
    }
}

impl Dd {
    fn new(x: f64) -> Dd {
        Dd { hi: x, lo: 0.0 }
    }
    fn add(self, o: Dd) -> Dd {
        let (s1, s2) = two_sum(self.hi, o.hi);
        let (t1, t2) = two_sum(self.lo, o.lo);
        let s = quick_two_sum(s1, s2 + t1);
        quick_two_sum(s.hi, s.lo + t2)
    }
    fn sub(self, o: Dd) -> Dd {
        self.add(Dd {
            hi: -o.hi,
            lo: -o.lo,
        })
    }
    fn mul(self, o: Dd) -> Dd {
        let p = self.hi * o.hi;
        let err = self.hi.mul_add(o.hi, -p);
        quick_two_sum(p, err + (self.hi * o.lo + self.lo * o.hi))
    }
    fn div(self, o: Dd) -> Dd {
        let q1 = self.hi / o.hi;
        let r = self.sub(o.mul(Dd::new(q1)));
        let q2 = r.hi / o.hi;
        let r = r.sub(o.mul(Dd::new(q2)));
        quick_two_sum(q1, q2).add(Dd::new(r.hi / o.hi))
    }
    fn is_zero(self) -> bool {
        self.hi == 0.0 && self.lo == 0.0
    }
    fn frexp(self) -> (Dd, i64) {
        let (mut man, mut e) = frexp(self.hi);
        let mut b1 = ldexp(self.lo, -e);
        if man.abs() == 0.5 && man * b1 < 0.0 {
            man *= 2.0;
            b1 *= 2.0;
            e -= 1;
        }
        (Dd { hi: man, lo: b1 }, e)
    }
    fn ldexp(self, e: i64) -> Dd {
        Dd {
            hi: ldexp(self.hi, e),
            lo: ldexp(self.lo, e),
        }
    }
}

/// a^m for m >= 0, pow() on the high word corrected for the low word (xsf `pow_D`).
fn pow_dd(a: Dd, m: i64) -> Dd {
    if m <= 0 {
        return if m == 0 {
            Dd::new(1.0)
        } else {
            Dd::new(1.0).div(pow_dd(a, -m))
        };
    }
    if a.is_zero() {
        return Dd::new(0.0);
    }
    let mf = m as f64;
    let ans = a.hi.powf(mf);
    let r = a.lo / a.hi;
    let mut adj = mf * r;
    if adj.abs() > 1e-8 {
        if adj.abs() < 1e-4 {
            adj += (mf * r) * ((mf - 1.0) / 2.0 * r);
        } else {
            adj = (mf * r.ln_1p()).exp_m1();
        }
    }
    Dd::new(ans).add(Dd::new(ans * adj))
}

/// a^m as (significand, binary exponent) so that huge/tiny powers neither
/// overflow nor underflow (xsf `pow2Scaled_D`).
fn pow2_scaled(a: Dd, m: i64) -> (Dd, i64) {
    const SM_MAX_EXPONENT: i64 = 960;
    if m <= 0 {
        if m == 0 {
            return (Dd::new(1.0), 0);
        }
        let (ans, e1) = pow2_scaled(a, -m);
        let (ans, e2) = Dd::new(1.0).div(ans).frexp();
        return (ans, e2 - e1);
    }
    let (y, ye) = a.frexp();
    if m == 1 || y.is_zero() {
        return (y, ye);
    }
    let mut max_expt = SM_MAX_EXPONENT;
    if m as f64 * (y.hi - 1.0) / y.hi < -(SM_MAX_EXPONENT as f64) * LN_2 {
        let lg2y = y.hi.ln() / LN_2;
        if m as f64 * lg2y <= -(SM_MAX_EXPONENT as f64) {
            // scipy's `nextPowerOf2(v) / 2`, which is v * (1 + 2^-52) / 2.
            let v = -(SM_MAX_EXPONENT as f64) / lg2y + 1.0;
            max_expt = ((v + ldexp(v, -52)).abs() / 2.0).max(1.0) as i64;
        }
    }
    if m <= max_expt {
        let (ans, e) = pow_dd(y, m).frexp();
        return (ans, e + m * ye);
    }
    let (q, r) = (m / max_expt, m % max_expt);
    let (y2r, y2re) = pow2_scaled(y, r);
    let (y2m, y2me) = pow2_scaled(y, max_expt);
    let (y2mq, y2mqe) = pow2_scaled(y2m, q);
    let (ans, e) = y2r.mul(y2mq).frexp();
    (ans, e + y2mqe + y2me * q + y2re + m * ye)
}

/// `scipy.special.smirnov(n, x)`: Pr(D_n^+ >= x) for the one-sided statistic
/// (Birnbaum-Tingey sum; xsf `cephes/kolmogorov.h::_smirnov(n, x).sf`).
fn smirnov_sf(n: f64, x: f64) -> f64 {
    const MINLOG: f64 = -7.451_332_191_019_412e2;
    if !(n > 0.0 && (0.0..=1.0).contains(&x)) {
        return f64::NAN;
    }
    if n == 1.0 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    if n > 1e6 {
        // Too many terms: p ~ exp(-(6nx+1)^2 / 18n). (SciPy first checks the
        // special cases below; for n > 1e6 only the underflow one can apply.)
        if -2.0 * n * x * x < MINLOG {
            return 0.0;
        }
        let logp = -(6.0 * n * x + 1.0).powi(2) / 18.0 / n;
        return if logp < -LN_2 {
            logp.exp()
        } else {
            1.0 + logp.exp_m1()
        };
    }
    // floor(n*x) and its fractional part alpha, computed exactly.
    let p = n * x;
    let nx = quick_two_sum(p, n.mul_add(x, -p));
    let nx_floor = if nx.hi.floor() == nx.hi {
        quick_two_sum(nx.hi, nx.lo.floor())
    } else {
        Dd::new(nx.hi.floor())
    };
    let mut alpha = nx.sub(nx_floor).hi;
    let mut nxfl = nx_floor.hi as i64;
    if alpha == 1.0 {
        nxfl += 1;
        alpha = 0.0;
    }
    let ni = n as i64;
    let mut n1mxfl = ni - nxfl - i64::from(alpha != 0.0);
    let mut n1mxceil = ni - nxfl;
    if alpha == 0.0 {
        n1mxfl -= 1;
        n1mxceil += 1;
    }
    if nxfl == 0 || (nxfl == 1 && alpha == 0.0) {
        return 1.0 - x * pow_dd(Dd::new(1.0).add(Dd::new(x)), ni - 1).hi; // x <= 1/n
    }
    if -2.0 * n * x * x < MINLOG {
        return 0.0;
    }
    if nxfl >= ni - 1 {
        return pow_dd(Dd::new(1.0).sub(Dd::new(x)), ni).hi; // x >= 1 - 1/n
    }
    // Few terms in the (alternating) upper sum: use it; else the lower sum.
    let n_upper_terms = ni - n1mxceil + 1;
    let use_upper =
        (n_upper_terms <= 1 && x < 0.5) || (ni >= 10 && n_upper_terms <= 3 && x <= 0.5 / n.sqrt());
    let (start, step, n_terms, first) = if use_upper {
        (
            ni,
            -1,
            n_upper_terms,
            pow_dd(Dd::new(1.0).add(Dd::new(x)), ni - 1),
        )
    } else {
        let t2 = pow_dd(Dd::new(1.0).sub(Dd::new(x)), ni);
        (0, 1, n1mxfl + 1, t2.div(Dd::new(x)))
    };
    let mut sum = first;
    let (mut cman, mut cexpt) = (Dd::new(1.0), 0_i64); // C(n, j) = cman * 2^cexpt
    let update_binomial = |j: i64, cman: &mut Dd, cexpt: &mut i64| {
        let (man, e) = cman
            .mul(Dd::new((ni - j) as f64).div(Dd::new(j as f64 + 1.0)))
            .frexp();
        *cman = man;
        *cexpt += e;
    };
    update_binomial(0, &mut cman, &mut cexpt);
    for j in 1..n_terms {
        let v = start + j * step;
        // A_v = C(n,v) (1 - x - v/n)^(n-v) (x + v/n)^(v-1)
        let t2x = Dd::new((ni - v) as f64).div(Dd::new(n)).sub(Dd::new(x));
        let (t2, t2e) = pow2_scaled(t2x, ni - v);
        let t1x = Dd::new(v as f64).div(Dd::new(n)).add(Dd::new(x));
        let (t1, t1e) = pow2_scaled(t1x, v - 1);
        let aj = t1.mul(t2).mul(cman).ldexp(cexpt + t1e + t2e);
        if aj.hi.is_finite() && !aj.is_zero() {
            sum = sum.add(aj);
        }
        if !aj.is_zero() {
            let tail = 4.0 * (n_terms - j) as f64 * aj.hi.abs();
            if tail < f64::EPSILON * sum.hi && j != n_terms - 1 {
                break;
            }
        } else if j > ni / 2 {
            break;
        }
        update_binomial(j, &mut cman, &mut cexpt);
    }
    let prob = Dd::new(x).mul(sum).hi;
    clip(if step < 0 { 1.0 - prob } else { prob })
}
