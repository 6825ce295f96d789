//! `version_regression`: a version compared with the champion on the
//! windows both served, pooled over the last `for_windows` of them, with a
//! one-sided two-proportion z-test ("is this version less accurate?").

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::checks::Check;
use super::{AlertThresholds, RuleId};
use crate::stats::pvalues::normal_sf;

/// One window's labeled predictions of one version.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Window start (ms since the epoch).
    pub start: i64,
    /// Window end.
    pub end: i64,
    /// Predictions with a label.
    pub labeled: u64,
    /// Of those, correct.
    pub correct: u64,
}

/// The check of `candidate` against `champion` at the window starting at
/// `at`, or `None` while fewer than `for_windows` shared windows have
/// `min_labeled` labels on both sides.
pub fn compare(
    candidate: (&str, &VecDeque<Counts>),
    champion: (&str, &VecDeque<Counts>),
    at: i64,
    t: &AlertThresholds,
) -> Option<Check> {
    let enough = |c: &Counts| c.labeled >= t.min_labeled;
    let pairs: Vec<(&Counts, &Counts)> = candidate
        .1
        .iter()
        .rev()
        .filter(|c| c.start <= at && enough(c))
        .filter_map(|c| {
            Some((
                c,
                champion
                    .1
                    .iter()
                    .find(|h| h.start == c.start && enough(h))?,
            ))
        })
        .take(t.for_windows as usize)
        .collect();
    if pairs.len() < t.for_windows as usize {
        return None;
    }
    let total = |side: &mut dyn Iterator<Item = &Counts>| {
        side.fold((0u64, 0u64), |(n, k), c| (n + c.labeled, k + c.correct))
    };
    let (n1, k1) = total(&mut pairs.iter().map(|p| p.0));
    let (n2, k2) = total(&mut pairs.iter().map(|p| p.1));
    let (a, b) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let pooled = (k1 + k2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    let p_value = if se > 0.0 {
        normal_sf((b - a) / se)
    } else if b > a {
        0.0
    } else {
        1.0
    };
    let drop = b - a;
    let breached = drop > t.max_drop && p_value < t.regression_p_value;
    let (version, champion_version) = (candidate.0, champion.0);
    let summary = format!(
        "v{version} accuracy ({:.1}%) {} v{champion_version} baseline ({:.1}%), degradation {:+.1} pts (p = {p_value:.2e}, {} windows)",
        a * 100.0,
        if a < b { "<" } else { ">=" },
        b * 100.0,
        -drop * 100.0,
        pairs.len()
    );
    Some(Check {
        rule: RuleId::VersionRegression,
        subject: String::new(),
        breached,
        metric: "accuracy".into(),
        value: a,
        threshold: b - t.max_drop,
        summary,
        details: BTreeMap::from([
            ("champion".to_string(), champion_version.to_string()),
            ("champion_accuracy".to_string(), format!("{b:.6}")),
            ("p_value".to_string(), format!("{p_value:.3e}")),
            ("windows".to_string(), pairs.len().to_string()),
        ]),
    })
}
