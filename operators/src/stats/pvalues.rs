//! P-values for the drift tests, computed exactly as SciPy computes them, so
//! that a drift verdict produced here can be checked against (and agrees with)
//! the reference Python implementation. Pure Rust, std only.
//!
//! Every function is a port of the SciPy 1.17 code path named in its doc
//! comment (Cephes routines as vendored in SciPy's `xsf` library, and
//! `scipy/stats/_ksstats.py`). Inputs never cause a panic; only NaN inputs
//! can produce NaN.

// Coefficients are copied digit for digit from Cephes / SciPy.
#![allow(clippy::excessive_precision)]

#[path = "ks_distribution.rs"]
mod ks_distribution;

/// Two-sided p-value of the two-sample Kolmogorov-Smirnov test with
/// statistic `d` and sample sizes `n1`, `n2`: the value of
/// `scipy.stats.ks_2samp(a, b, method='asymp').pvalue` (SciPy 1.17).
///
/// SciPy evaluates `kstwo.sf(d, round(n1*n2/(n1+n2)))` (ties to even), the
/// exact one-sample distribution at the effective sample size, clipped to
/// [0, 1]; this is a faithful port of that path (Durbin matrix, Pomeranz,
/// Pelz-Good and Smirnov algorithms, chosen as SciPy chooses them).
///
/// Edge cases: `d <= 0` gives 1.0 and `d >= 1` gives 0.0. If either sample
/// is empty there is no evidence of a difference, so the result is 1.0
/// (SciPy raises). For `n1 = n2 = 1` the effective size rounds to 0 and
/// SciPy returns NaN; we return 1.0, the exact p-value for that case.
pub fn ks_two_sample_pvalue(d: f64, n1: u64, n2: u64) -> f64 {
    if d.is_nan() {
        return f64::NAN;
    }
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = (m * n / (m + n)).round_ties_even();
    if en < 1.0 || d <= 0.5 / en {
        return 1.0; // below the support of kstwo(en)
    }
    if d >= 1.0 {
        return 0.0;
    }
    ks_distribution::kolmogn_sf(en, d).clamp(0.0, 1.0)
}

/// Upper-tail probability P(X > x) of a chi-square variable with `dof`
/// degrees of freedom: the p-value of chi-square tests (e.g. categorical
/// drift). Matches `scipy.stats.chi2.sf(x, dof)`, which is
/// `scipy.special.chdtrc(dof, x) = gammaincc(dof/2, x/2)` (Cephes `igamc`).
///
/// Edge cases: `x <= 0` gives 1.0; `x = +inf` gives 0.0. A degenerate
/// `dof <= 0` (SciPy: NaN) gives 1.0, "no evidence", and so does
/// `dof = +inf`.
///
/// Deviations from SciPy's algorithm: for `dof > 40` with `x` near `dof`,
/// SciPy switches to Temme's uniform asymptotic expansion (a 25x25
/// coefficient table); we keep the power series / continued fraction there.
/// They agree with SciPy to ~1e-14 relative up to dof = 1e6; above that
/// SciPy's expansion loses accuracy (vs. mpmath: 4e-10 off at dof = 3e6,
/// 2e-6 at dof = 1e9) while ours stays within 1e-13. For `dof > 2e8` we use
/// the leading term of Temme's expansion (error O(1/dof), ~1e-13 there).
pub fn chi2_sf(x: f64, dof: f64) -> f64 {
    if x.is_nan() || dof.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 || dof <= 0.0 || dof == f64::INFINITY {
        return 1.0;
    }
    igamc(dof / 2.0, x / 2.0)
}

/// Upper-tail probability P(Z > z) of a standard normal variable: the
/// p-value of z-tests (e.g. mean-shift drift). Matches
/// `scipy.stats.norm.sf(z)`, which is `scipy.special.ndtr(-z)` (Cephes
/// `ndtr`/`erfc`), accurate in relative terms far into the upper tail
/// (`normal_sf(10.0)` is 7.62e-24); it underflows to 0 beyond z ~ 37.5,
/// as SciPy does.
pub fn normal_sf(z: f64) -> f64 {
    ndtr(-z)
}

// ---------------------------------------------------------------------------
// Cephes constants and helpers (xsf/cephes/const.h, polevl.h).

const MACHEP: f64 = 1.11022302462515654042E-16;
const MAXLOG: f64 = 7.09782712893383996732E2;
/// Cap on series / continued-fraction terms. Cephes uses 2000; without the
/// asymptotic expansion we need ~9 sqrt(a) terms near x = a.
const IGAM_MAXITER: usize = 200_000;

/// coef[0] x^N + ... + coef[N].
fn polevl(x: f64, coef: &[f64]) -> f64 {
    coef.iter().fold(0.0, |acc, c| acc * x + c)
}

/// x^N + coef[0] x^(N-1) + ... + coef[N-1] (implicit leading 1).
fn p1evl(x: f64, coef: &[f64]) -> f64 {
    coef.iter().fold(1.0, |acc, c| acc * x + c)
}

// ---------------------------------------------------------------------------
// Normal distribution (xsf/cephes/ndtr.h).

#[rustfmt::skip]
const NDTR_P: [f64; 9] = [
    2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
    4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
    9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2,
];
#[rustfmt::skip]
const NDTR_Q: [f64; 8] = [
    1.32281951154744992508E1, 8.67072140885989742329E1, 3.54937778887819891062E2,
    9.75708501743205489753E2, 1.82390916687909736289E3, 2.24633760818710981792E3,
    1.65666309194161350182E3, 5.57535340817727675546E2,
];
#[rustfmt::skip]
const NDTR_R: [f64; 6] = [
    5.64189583547755073984E-1, 1.27536670759978104416E0, 5.01905042251180477414E0,
    6.16021097993053585195E0, 7.40974269950448939160E0, 2.97886665372100240670E0,
];
#[rustfmt::skip]
const NDTR_S: [f64; 6] = [
    2.26052863220117276590E0, 9.39603524938001434673E0, 1.20489539808096656605E1,
    1.70814450747565897222E1, 9.60896809063285878198E0, 3.36907645100081516050E0,
];
#[rustfmt::skip]
const NDTR_T: [f64; 5] = [
    9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3,
    7.00332514112805075473E3, 5.55923013010394962768E4,
];
#[rustfmt::skip]
const NDTR_U: [f64; 5] = [
    3.35617141647503099647E1, 5.21357949780152679795E2, 4.59432382970980127987E3,
    2.26290000613890934246E4, 4.92673942608635921086E4,
];

fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < 0.0 {
        return -erf(-x);
    }
    if x > 1.0 {
        return 1.0 - erfc(x);
    }
    let z = x * x;
    x * polevl(z, &NDTR_T) / p1evl(z, &NDTR_U)
}

fn erfc(a: f64) -> f64 {
    if a.is_nan() {
        return a;
    }
    let x = a.abs();
    if x < 1.0 {
        return 1.0 - erf(a);
    }
    let z = -a * a;
    let underflow = if a < 0.0 { 2.0 } else { 0.0 };
    if z < -MAXLOG {
        return underflow;
    }
    let z = z.exp();
    let (p, q) = if x < 8.0 {
        (polevl(x, &NDTR_P), p1evl(x, &NDTR_Q))
    } else {
        (polevl(x, &NDTR_R), p1evl(x, &NDTR_S))
    };
    let y = (z * p) / q;
    let y = if a < 0.0 { 2.0 - y } else { y };
    if y == 0.0 {
        underflow
    } else {
        y
    }
}

fn ndtr(a: f64) -> f64 {
    let x = a * std::f64::consts::FRAC_1_SQRT_2;
    let z = x.abs();
    if z < 1.0 {
        0.5 + 0.5 * erf(x)
    } else {
        let y = 0.5 * erfc(z);
        if x > 0.0 {
            1.0 - y
        } else {
            y
        }
    }
}

// ---------------------------------------------------------------------------
// Log-gamma (xsf/cephes/gamma.h `lgam`, x > 0 only) and Lanczos (lanczos.h).

#[rustfmt::skip]
const GAMMA_A: [f64; 5] = [
    8.11614167470508450300E-4, -5.95061904284301438324E-4, 7.93650340457716943945E-4,
    -2.77777777730099687205E-3, 8.33333333333331927722E-2,
];
#[rustfmt::skip]
const GAMMA_B: [f64; 6] = [
    -1.37825152569120859100E3, -3.88016315134637840924E4, -3.31612992738871184744E5,
    -1.16237097492762307383E6, -1.72173700820839662146E6, -8.53555664245765465627E5,
];
#[rustfmt::skip]
const GAMMA_C: [f64; 6] = [
    -3.51815701436523470549E2, -1.70642106651881159223E4, -2.20528590553854454839E5,
    -1.13933444367982507207E6, -2.53252307177582951285E6, -2.01889141433532773231E6,
];
const LS2PI: f64 = 0.91893853320467274178; // log(sqrt(2 pi))
const LANCZOS_G: f64 = 6.024680040776729583740234375;
#[rustfmt::skip]
const LANCZOS_NUM: [f64; 13] = [
    0.006061842346248906525783753964555936883222, 0.5098416655656676188125178644804694509993,
    19.51992788247617482847860966235652136208, 449.9445569063168119446858607650988409623,
    6955.999602515376140356310115515198987526, 75999.29304014542649875303443598909137092,
    601859.6171681098786670226533699352302507, 3481712.15498064590882071018964774556468,
    14605578.08768506808414169982791359218571, 43338889.32467613834773723740590533316085,
    86363131.28813859145546927288977868422342, 103794043.1163445451906271053616070238554,
    56906521.91347156388090791033559122686859,
];
#[rustfmt::skip]
const LANCZOS_DENOM: [f64; 13] = [
    1.0, 66.0, 1925.0, 32670.0, 357423.0, 2637558.0, 13339535.0, 45995730.0, 105258076.0,
    150917976.0, 120543840.0, 39916800.0, 0.0,
];

fn lgam(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    if x < 13.0 {
        let (mut z, mut p, mut u) = (1.0, 0.0, x);
        while u >= 3.0 {
            p -= 1.0;
            u = x + p;
            z *= u;
        }
        while u < 2.0 {
            if u == 0.0 {
                return f64::INFINITY;
            }
            z /= u;
            p += 1.0;
            u = x + p;
        }
        if u == 2.0 {
            return z.abs().ln();
        }
        let x = x + (p - 2.0);
        return z.abs().ln() + x * polevl(x, &GAMMA_B) / p1evl(x, &GAMMA_C);
    }
    if x > 2.556348e305 {
        return f64::INFINITY;
    }
    let q = (x - 0.5) * x.ln() - x + LS2PI;
    if x >= 1000.0 {
        if x > 1.0e8 {
            return q;
        }
        let p = 1.0 / (x * x);
        return q
            + ((7.9365079365079365079365e-4 * p - 2.7777777777777777777778e-3) * p
                + 0.0833333333333333333333)
                / x;
    }
    q + polevl(1.0 / (x * x), &GAMMA_A) / x
}

/// Rational function num(x)/den(x), evaluated in 1/x for |x| > 1 (Cephes `ratevl`).
fn lanczos_sum_expg_scaled(x: f64) -> f64 {
    if x.abs() > 1.0 {
        let y = 1.0 / x;
        let rev = |c: &[f64]| c.iter().rev().fold(0.0, |acc, c| acc * y + c);
        rev(&LANCZOS_NUM) / rev(&LANCZOS_DENOM)
    } else {
        polevl(x, &LANCZOS_NUM) / polevl(x, &LANCZOS_DENOM)
    }
}

/// log(1 + x) - x (Cephes `log1pmx`).
fn log1pmx(x: f64) -> f64 {
    if x.abs() >= 0.5 {
        return x.ln_1p() - x;
    }
    let (mut xfac, mut res) = (x, 0.0);
    for n in 2..500 {
        xfac *= -x;
        let term = xfac / f64::from(n);
        res += term;
        if term.abs() < MACHEP * res.abs() {
            break;
        }
    }
    res
}

// ---------------------------------------------------------------------------
// Regularised upper incomplete gamma Q(a, x), a > 0, x > 0 (xsf/cephes/igam.h).

/// x^a e^-x / Gamma(a), via Lanczos when x is near a.
fn igam_fac(a: f64, x: f64) -> f64 {
    if (a - x).abs() > 0.4 * a.abs() {
        let ax = a * x.ln() - x - lgam(a);
        return if ax < -MAXLOG { 0.0 } else { ax.exp() };
    }
    let fac = a + LANCZOS_G - 0.5;
    let res = (fac / std::f64::consts::E).sqrt() / lanczos_sum_expg_scaled(a);
    if a < 200.0 && x < 200.0 {
        res * (a - x).exp() * (x / fac).powf(a)
    } else {
        let num = x - a - LANCZOS_G + 0.5;
        res * (a * log1pmx(num / fac) + x * (0.5 - LANCZOS_G) / fac).exp()
    }
}

/// Lower P(a, x) by its power series.
fn igam_series(a: f64, x: f64) -> f64 {
    let ax = igam_fac(a, x);
    if ax == 0.0 {
        return 0.0;
    }
    let (mut r, mut c, mut ans) = (a, 1.0, 1.0);
    for _ in 0..IGAM_MAXITER {
        r += 1.0;
        c *= x / r;
        ans += c;
        if c <= MACHEP * ans {
            break;
        }
    }
    ans * ax / a
}

/// Upper Q(a, x) by its continued fraction (x > a).
fn igamc_continued_fraction(a: f64, x: f64) -> f64 {
    const BIG: f64 = 4.503599627370496e15;
    const BIGINV: f64 = 2.22044604925031308085e-16;
    let ax = igam_fac(a, x);
    if ax == 0.0 {
        return 0.0;
    }
    let (mut y, mut z, mut c) = (1.0 - a, x + (1.0 - a) + 1.0, 0.0);
    let (mut pkm2, mut qkm2, mut pkm1, mut qkm1) = (1.0, x, x + 1.0, z * x);
    let mut ans = pkm1 / qkm1;
    for _ in 0..IGAM_MAXITER {
        c += 1.0;
        y += 1.0;
        z += 2.0;
        let yc = y * c;
        let pk = pkm1 * z - pkm2 * yc;
        let qk = qkm1 * z - qkm2 * yc;
        let t = if qk != 0.0 {
            let r = pk / qk;
            let t = ((ans - r) / r).abs();
            ans = r;
            t
        } else {
            1.0
        };
        (pkm2, pkm1, qkm2, qkm1) = (pkm1, pk, qkm1, qk);
        if pk.abs() > BIG {
            pkm2 *= BIGINV;
            pkm1 *= BIGINV;
            qkm2 *= BIGINV;
            qkm1 *= BIGINV;
        }
        if t <= MACHEP {
            break;
        }
    }
    ans * ax
}

/// Upper Q(a, x) for small x by the series of the lower function.
/// (Cephes uses lgam1p(a), whose Taylor series is only good to ~3e-14 at
/// a = 0.5; lgam(1 + a) is exact to ~1e-16 for the a >= 1e-3 we care about.)
fn igamc_series(a: f64, x: f64) -> f64 {
    let (mut fac, mut sum) = (1.0, 0.0);
    for n in 1..IGAM_MAXITER {
        fac *= -x / n as f64;
        let term = fac / (a + n as f64);
        sum += term;
        if term.abs() <= MACHEP * sum.abs() {
            break;
        }
    }
    let logx = x.ln();
    -(a * logx - lgam(1.0 + a)).exp_m1() - (a * logx - lgam(a)).exp() * sum
}

/// First term of Temme's uniform asymptotic expansion of Q(a, x) (the k = 0
/// row of SciPy's `asymptotic_series`); relative error O(1/a).
fn igamc_temme(a: f64, x: f64) -> f64 {
    let sigma = (x - a) / a; // lambda - 1
    let eta = (-2.0 * log1pmx(sigma)).sqrt().copysign(sigma);
    let c0 = if eta.abs() < 1e-3 {
        polevl(eta, &[1.0 / 864.0, -2.0 / 135.0, 1.0 / 12.0, -1.0 / 3.0])
    } else {
        1.0 / sigma - 1.0 / eta
    };
    let tail = (-0.5 * a * eta * eta).exp() * c0 / (2.0 * std::f64::consts::PI * a).sqrt();
    0.5 * erfc(eta * (a / 2.0).sqrt()) + tail
}

/// Cephes `igamc(a, x)` for a > 0, x > 0 (see `chi2_sf` for the deviations).
fn igamc(a: f64, x: f64) -> f64 {
    if x.is_infinite() {
        return 0.0;
    }
    if a > 1e8 {
        return igamc_temme(a, x); // the series would need > 1e5 terms
    }
    let use_lower = if x > 1.1 {
        if x >= a {
            return igamc_continued_fraction(a, x);
        }
        true
    } else if x <= 0.5 {
        -0.4 / x.ln() < a
    } else {
        x * 1.1 < a
    };
    if use_lower {
        1.0 - igam_series(a, x)
    } else {
        igamc_series(a, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |got - want| < 1e-9 and, for want != 0, relative error < 1e-9.
    fn check(got: f64, want: f64, what: &str) {
        let abs = (got - want).abs();
        assert!(abs < 1e-9, "{what}: got {got:e}, want {want:e}");
        assert!(
            abs <= 1e-9 * want.abs(),
            "{what}: got {got:e}, want {want:e}"
        );
    }

    // Reference values from SciPy 1.17.1 (numpy 2.4.6), produced with
    //   m, n = sorted([float(n1), float(n2)], reverse=True)
    //   np.clip(scipy.stats.distributions.kstwo.sf(d, np.round(m*n/(m+n))), 0, 1)
    // which is the body of scipy.stats.ks_2samp(..., method='asymp').
    #[test]
    fn ks_matches_scipy() {
        let cases: [(f64, u64, u64, f64); 17] = [
            (0.15, 10, 10, 0.9988),                            // Ruben-Gambino, n*d <= 1
            (0.3, 10, 10, 0.664),                              // Durbin matrix
            (0.5, 10, 10, 0.112),                              // d >= 0.5: 2 * smirnov
            (0.9, 10, 10, 1.9999999999999978e-05),             // Ruben-Gambino, d >= 1 - 1/n
            (0.25, 37, 100, 0.05665109063833984),              // Pomeranz
            (0.45, 37, 100, 1.6495960780759473e-05),           // n <= 140: 2 * smirnov
            (0.55, 37, 100, 3.373294408649395e-08),            // d >= 0.5
            (0.02, 500, 1000, 0.9990286996651134),             // n > 140: Durbin matrix
            (0.015, 1000, 1000, 0.9998021489360925),           // Durbin matrix
            (0.05, 500, 1000, 0.36381774664618793),            // Pelz-Good
            (0.03, 1000, 1000, 0.7473166700457021),            // Pelz-Good
            (0.004, 100000, 100000, 0.3994316646755731),       // Pelz-Good
            (0.1, 500, 1000, 0.002371773853784354),            // n > 140: 2 * smirnov
            (0.04, 5000, 5000, 0.0006518689632456868),         // 2 * smirnov, n = 2500
            (0.002, 3000000, 3000000, 1.2272050604051577e-05), // smirnov, n > 1e6
            (0.7, 2, 2, 0.6000000000000001),                   // n = 1
            (0.9, 500, 1000, 0.0),                             // n d^2 >= 370
        ];
        for (d, n1, n2, want) in cases {
            check(
                ks_two_sample_pvalue(d, n1, n2),
                want,
                &format!("ks({d}, {n1}, {n2})"),
            );
            check(
                ks_two_sample_pvalue(d, n2, n1),
                want,
                &format!("ks({d}, {n2}, {n1})"),
            );
        }
    }

    // Reference values: float(scipy.stats.chi2.sf(x, dof)), SciPy 1.17.1.
    #[test]
    fn chi2_matches_scipy() {
        let cases: [(f64, f64, f64); 13] = [
            (3.841458820694124, 1.0, 0.04999999999999989),
            (2.2, 1.0, 0.13801073756865542), // igamc_series branch
            (0.5, 1.0, 0.47950012218695337),
            (1e-06, 1.0, 0.9992021155721779),
            (10.0, 3.0, 0.01856613546304325),
            (30.0, 2.0, 3.0590232050182594e-07),
            (0.3, 7.5, 0.9999564179169871),
            (60.0, 30.0, 0.0009206823961486636),
            (100.0, 100.0, 0.48119168452795674), // SciPy: asymptotic series
            (1500.0, 1000.0, 1.0454640385980825e-22),
            (700.0, 10.0, 6.280146699235733e-144),
            (5000.0, 10.0, 0.0),
            (101000.0, 100000.0, 0.012868840377233648),
        ];
        for (x, dof, want) in cases {
            check(chi2_sf(x, dof), want, &format!("chi2_sf({x}, {dof})"));
        }
    }

    // Reference values: float(scipy.stats.norm.sf(z)), SciPy 1.17.1.
    #[test]
    fn normal_matches_scipy() {
        let cases: [(f64, f64); 7] = [
            (0.0, 0.5),
            (1.959963984540054, 0.025),
            (-3.0, 0.9986501019683699),
            (0.5, 0.3085375387259869),
            (10.0, 7.61985302416047e-24),
            (37.0, 5.7255712225239266e-300),
            (-8.0, 0.9999999999999993),
        ];
        for (z, want) in cases {
            check(normal_sf(z), want, &format!("normal_sf({z})"));
        }
    }

    #[test]
    fn edge_cases_never_panic_or_nan() {
        assert_eq!(ks_two_sample_pvalue(0.0, 10, 10), 1.0);
        assert_eq!(ks_two_sample_pvalue(-1.0, 10, 10), 1.0);
        assert_eq!(ks_two_sample_pvalue(1.0, 10, 10), 0.0);
        assert_eq!(ks_two_sample_pvalue(0.5, 0, 10), 1.0);
        assert_eq!(ks_two_sample_pvalue(1.0, 1, 1), 1.0);
        assert_eq!(chi2_sf(0.0, 3.0), 1.0);
        assert_eq!(chi2_sf(5.0, 0.0), 1.0);
        assert_eq!(chi2_sf(f64::INFINITY, 3.0), 0.0);
        assert_eq!(normal_sf(f64::INFINITY), 0.0);
        assert_eq!(normal_sf(f64::NEG_INFINITY), 1.0);
        let xs = [
            f64::NEG_INFINITY,
            -1.0,
            0.0,
            5e-324,
            1e-300,
            1e-3,
            0.3,
            0.5,
            0.99,
            1.0,
            3.0,
        ];
        let xs = xs.into_iter().chain([1e300, f64::INFINITY]);
        for x in xs {
            for n in [1, 2, 141, 1_000_000, u64::MAX] {
                let p = ks_two_sample_pvalue(x, n, 7);
                assert!((0.0..=1.0).contains(&p), "ks({x}, {n}) = {p}");
                let p = ks_two_sample_pvalue(x, n, n);
                assert!((0.0..=1.0).contains(&p), "ks({x}, {n}, {n}) = {p}");
            }
            for dof in [-1.0, 0.0, 1e-300, 0.5, 4.0, 1e9, 1e300, f64::INFINITY] {
                let p = chi2_sf(x, dof);
                assert!((0.0..=1.0).contains(&p), "chi2_sf({x}, {dof}) = {p}");
                let p = chi2_sf(dof, x);
                assert!((0.0..=1.0).contains(&p), "chi2_sf({dof}, {x}) = {p}");
            }
            assert!((0.0..=1.0).contains(&normal_sf(x)));
        }
        assert!(ks_two_sample_pvalue(f64::NAN, 5, 5).is_nan());
    }
}
