//! Data issues: drift, missing values, new categories, outliers.
//!
//! A changed feature is classified once, so the four categories never claim
//! the same change: a rise in missing values first (imputation moves the
//! distribution, so a drift test also fires), then unseen categories, then
//! outliers (the bulk of the distribution holds, the tails grew), and
//! otherwise a shift of the distribution. Each category is then scored by
//! whether the versions' accuracy follows the feature (see
//! [`super::attribution`]) and whether the change started in time.

use super::super::evidence::{Evidence, FeatureEvidence};
use super::super::hypothesis::{change, num, pct, EvidenceLine, Hypothesis};
use super::attribution;
use crate::reason::category::Category;

/// A rise of the missing rate of at least 5 points is a data issue.
pub const MIN_MISSING_RISE: f64 = 0.05;
/// At or above this current missing rate the feature is gone from the
/// input altogether: a schema change, not flaky values.
pub const GONE: f64 = 0.99;
/// Unseen categories making up 1% of values or more are new values.
pub const MIN_UNSEEN_SHARE: f64 = 0.01;
/// Outliers: at least this share outside the baseline's [p01, p99]
/// (2% by construction in the baseline) ...
pub const MIN_OUTSIDE_SHARE: f64 = 0.05;
/// ... while the median moved less than this many baseline std.
pub const MAX_MEDIAN_SHIFT_STD: f64 = 0.1;

/// What kind of change a feature shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Missing rate rose but values still arrive.
    Missing,
    /// The feature is gone from the input.
    Gone,
    /// Categories never seen in training.
    NewValues,
    /// Tails grew, bulk held.
    Outliers,
    /// The distribution moved.
    Shift,
}

/// The change `f` shows, or `None` when it did not change.
pub fn change_kind(f: &FeatureEvidence) -> Option<ChangeKind> {
    let missing_rise = f.missing_rate_current - f.missing_rate_baseline;
    if f.missing_rate_current >= GONE && f.missing_rate_baseline < 0.5 {
        return Some(ChangeKind::Gone);
    }
    if missing_rise >= MIN_MISSING_RISE {
        return Some(ChangeKind::Missing);
    }
    if f.unseen_share >= MIN_UNSEEN_SHARE && !f.unseen_categories.is_empty() {
        return Some(ChangeKind::NewValues);
    }
    if let (Some(b), Some(c), Some(out)) = (f.baseline, f.current, f.outside_share) {
        let median_shift = (c.p50 - b.p50).abs() / b.std.max(1e-9);
        if out >= MIN_OUTSIDE_SHARE && median_shift < MAX_MEDIAN_SHIFT_STD {
            return Some(ChangeKind::Outliers);
        }
    }
    f.drifted.then_some(ChangeKind::Shift)
}

/// The factor of a unit or scale change (every value multiplied by k):
/// mean, std and median all scale by the same k (within 5%) and k is at
/// least 5% away from 1. A shift of the world rarely keeps the shape so
/// exactly; a changed unit or currency upstream does.
pub fn scale_factor(f: &FeatureEvidence) -> Option<f64> {
    let (b, c) = (f.baseline?, f.current?);
    if b.mean.abs() < 1e-9 || b.std < 1e-9 || b.p50.abs() < 1e-9 {
        return None;
    }
    let k = c.mean / b.mean;
    let agree = |r: f64| (r / k - 1.0).abs() <= 0.05;
    (k > 0.0 && (k - 1.0).abs() >= 0.05 && agree(c.std / b.std) && agree(c.p50 / b.p50))
        .then_some(k)
}

/// The features of one kind, strongest first.
fn of_kind(
    ev: &Evidence,
    kind: ChangeKind,
    key: impl Fn(&FeatureEvidence) -> f64,
) -> Vec<&FeatureEvidence> {
    let mut v: Vec<&FeatureEvidence> = ev
        .features
        .iter()
        .filter(|f| change_kind(f) == Some(kind))
        .collect();
    v.sort_by(|a, b| key(b).total_cmp(&key(a)).then_with(|| a.name.cmp(&b.name)));
    v
}

/// The drift test's line: "normalised Wasserstein 0.91 >= 0.1".
fn test_line(f: &FeatureEvidence) -> String {
    let p_value = matches!(f.method.as_str(), "ks" | "chisquare" | "ztest");
    match f.score {
        Some(s) if p_value => format!("{} p-value {} < {}", f.method, num(s), num(f.threshold)),
        Some(s) if f.method == "wasserstein" => {
            format!("normalised Wasserstein {} >= {}", num(s), num(f.threshold))
        }
        Some(s) => format!("{} {} >= {}", f.method, num(s), num(f.threshold)),
        None => format!("{} not computed", f.method),
    }
}

/// Scores `f` as the cause and finishes the hypothesis.
fn finish(mut h: Hypothesis, ev: &Evidence, f: &FeatureEvidence, others: usize) -> Hypothesis {
    h.feature = Some(f.name.clone());
    let factor = attribution(ev, &f.name, &mut h.support, &mut h.against);
    h.score *= factor;
    if ev.started_after_symptoms(f.started_at_ms) {
        h.weaken(
            0.3,
            format!("{} changed after the first alert fired", f.name),
        );
    }
    if others > 0 {
        h.against.push(format!(
            "{others} other feature(s) changed the same way; {} is the strongest",
            f.name
        ));
    }
    h
}

/// `data.drift`: a feature's distribution moved (and the versions that read
/// it lost accuracy while the others held).
pub fn drift(ev: &Evidence) -> Hypothesis {
    let score = |f: &FeatureEvidence| match f.method.as_str() {
        "ks" | "chisquare" | "ztest" => 1.0 - f.score.unwrap_or(1.0),
        _ => f.score.unwrap_or(0.0) / f.threshold.max(1e-9),
    };
    let shifted = of_kind(ev, ChangeKind::Shift, score);
    let Some(f) = shifted.first() else {
        return Hypothesis::unsupported(Category::DataDrift, no_shift_reason(ev));
    };
    let mut h = Hypothesis::scored(Category::DataDrift, 0.9);
    let src = &ev.sources.drift;
    match (f.baseline, f.current) {
        (Some(b), Some(c)) => h.support.push(EvidenceLine::new(
            format!(
                "{} mean {} -> {} ({}), {}",
                f.name,
                num(b.mean),
                num(c.mean),
                change(b.mean, c.mean),
                test_line(f)
            ),
            format!("{}.mean", f.name),
            c.mean,
            Some(b.mean),
            src,
        )),
        _ => h.support.push(EvidenceLine::new(
            format!("{} drifted: {}", f.name, test_line(f)),
            format!("{}.{}", f.name, f.method),
            f.score.unwrap_or(f64::NAN),
            Some(f.threshold),
            src,
        )),
    }
    if let Some(k) = scale_factor(f) {
        h.support.push(EvidenceLine::new(
            format!(
                "{} looks rescaled: mean, std and median all x{} (a unit or scale change upstream)",
                f.name,
                num(k)
            ),
            format!("{}.scale_factor", f.name),
            k,
            Some(1.0),
            src,
        ));
    }
    finish(h, ev, f, shifted.len() - 1)
}

fn no_shift_reason(ev: &Evidence) -> String {
    let tested = ev.features.iter().filter(|f| f.score.is_some()).count();
    match ev.features.iter().filter(|f| f.drifted).count() {
        0 => format!("no feature drifted ({tested} tested)"),
        n => format!(
            "the {n} drifted feature(s) changed by missing values, new categories or outliers, not a shift"
        ),
    }
}

/// `data.missing_values`: a feature arrives null more often (it is
/// imputed, so versions reading it lose accuracy).
pub fn missing_values(ev: &Evidence) -> Hypothesis {
    let rise = |f: &FeatureEvidence| f.missing_rate_current - f.missing_rate_baseline;
    let found = of_kind(ev, ChangeKind::Missing, rise);
    let Some(f) = found.first() else {
        let top = ev
            .features
            .iter()
            .max_by(|a, b| rise(a).total_cmp(&rise(b)));
        let why = match top {
            Some(f) if change_kind(f) == Some(ChangeKind::Gone) => format!(
                "{} is missing from every record ({}): the input schema changed",
                f.name,
                pct(f.missing_rate_current)
            ),
            Some(f) => format!(
                "largest rise of missing values is {} on {} ({} -> {}), below {} points",
                pct(rise(f)),
                f.name,
                pct(f.missing_rate_baseline),
                pct(f.missing_rate_current),
                MIN_MISSING_RISE * 100.0
            ),
            None => "no feature profile to check missing values".into(),
        };
        return Hypothesis::unsupported(Category::DataMissingValues, why);
    };
    let mut h = Hypothesis::scored(Category::DataMissingValues, 0.9);
    h.support.push(EvidenceLine::new(
        format!(
            "{} missing {} -> {}",
            f.name,
            pct(f.missing_rate_baseline),
            pct(f.missing_rate_current)
        ),
        format!("{}.missing_rate", f.name),
        f.missing_rate_current,
        Some(f.missing_rate_baseline),
        &ev.sources.drift,
    ));
    finish(h, ev, f, found.len() - 1)
}

/// `data.new_values`: categories never seen in training (the model has no
/// weight for them).
pub fn new_values(ev: &Evidence) -> Hypothesis {
    let found = of_kind(ev, ChangeKind::NewValues, |f| f.unseen_share);
    let Some(f) = found.first() else {
        let top = ev
            .features
            .iter()
            .max_by(|a, b| a.unseen_share.total_cmp(&b.unseen_share));
        let why = match top {
            Some(f) if f.unseen_share > 0.0 => format!(
                "unseen categories are at most {} of values ({}), below {}",
                pct(f.unseen_share),
                f.name,
                pct(MIN_UNSEEN_SHARE)
            ),
            _ => "no unseen category in any feature".into(),
        };
        return Hypothesis::unsupported(Category::DataNewValues, why);
    };
    let mut h = Hypothesis::scored(Category::DataNewValues, 0.9);
    h.support.push(EvidenceLine::new(
        format!(
            "{}: unseen categories [{}] are {} of values, {}",
            f.name,
            f.unseen_categories.join(", "),
            pct(f.unseen_share),
            test_line(f)
        ),
        format!("{}.unseen_share", f.name),
        f.unseen_share,
        Some(0.0),
        &ev.sources.drift,
    ));
    finish(h, ev, f, found.len() - 1)
}

/// `data.outliers`: values beyond the training range grew while the median
/// held (a broken sensor, a parsing error on some records).
pub fn outliers(ev: &Evidence) -> Hypothesis {
    let found = of_kind(ev, ChangeKind::Outliers, |f| f.outside_share.unwrap_or(0.0));
    let Some(f) = found.first() else {
        let top = ev
            .features
            .iter()
            .filter_map(|f| Some((f, f.outside_share?)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let why = match top {
            Some((f, s)) if s >= MIN_OUTSIDE_SHARE => format!(
                "{} has {} of values outside its training p01..p99, but its median moved too: a shift, not outliers",
                f.name,
                pct(s)
            ),
            Some((f, s)) => format!(
                "at most {} of values outside the training p01..p99 ({}; 2.0% expected), below {}",
                pct(s),
                f.name,
                pct(MIN_OUTSIDE_SHARE)
            ),
            None => "no numeric profile to check outliers".into(),
        };
        return Hypothesis::unsupported(Category::DataOutliers, why);
    };
    let mut h = Hypothesis::scored(Category::DataOutliers, 0.85);
    let out = f.outside_share.unwrap_or(0.0);
    let (b, c) = (
        f.baseline.unwrap_or_default(),
        f.current.unwrap_or_default(),
    );
    h.support.push(EvidenceLine::new(
        format!(
            "{}: {} of values outside the training p01..p99 [{}, {}] (2.0% expected), median {} -> {}",
            f.name,
            pct(out),
            num(b.p01),
            num(b.p99),
            num(b.p50),
            num(c.p50)
        ),
        format!("{}.outside_share", f.name),
        out,
        Some(0.02),
        &ev.sources.drift,
    ));
    finish(h, ev, f, found.len() - 1)
}
