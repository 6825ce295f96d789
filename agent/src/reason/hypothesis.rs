//! One scored hypothesis, the evidence lines that support it, and the small
//! numeric helpers every family of rules shares.

use serde::{Deserialize, Serialize};

use super::category::Category;
use super::evidence::Accuracy;

/// A fact with its number, as the JSON contract's `evidence` items: a
/// reader (or the LLM narrator's check) can trace every claim to a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceLine {
    /// The sentence, numbers included.
    pub claim: String,
    /// What was measured (`monthly_charges.mean`, `accuracy.v2`, ...).
    pub metric: String,
    /// The current value.
    pub value: f64,
    /// The value it is compared with (baseline, other version), if any.
    pub baseline: Option<f64>,
    /// Where the number came from (`clickhouse:feature_drift`, ...).
    pub source: String,
}

impl EvidenceLine {
    /// A line; `baseline` may be `None`.
    pub fn new(
        claim: impl Into<String>,
        metric: impl Into<String>,
        value: f64,
        baseline: Option<f64>,
        source: &str,
    ) -> Self {
        EvidenceLine {
            claim: claim.into(),
            metric: metric.into(),
            value,
            baseline,
            source: source.to_string(),
        }
    }
}

/// A category scored against the evidence. `score` in [0, 1] is how well the
/// evidence supports it; `against` says, with numbers, what speaks against
/// it or what is missing, and becomes the rejection reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypothesis {
    /// The category.
    pub category: Category,
    /// Support in [0, 1].
    pub score: f64,
    /// The feature it names, if any.
    pub feature: Option<String>,
    /// The version it names, if any.
    pub version: Option<String>,
    /// Facts in favour.
    pub support: Vec<EvidenceLine>,
    /// Facts against, or what could not be checked.
    pub against: Vec<String>,
}

impl Hypothesis {
    /// A hypothesis with no support, for the reason given.
    pub fn unsupported(category: Category, why: impl Into<String>) -> Self {
        Hypothesis {
            category,
            score: 0.0,
            feature: None,
            version: None,
            support: Vec::new(),
            against: vec![why.into()],
        }
    }

    /// A hypothesis with a score (clamped to [0, 1]).
    pub fn scored(category: Category, score: f64) -> Self {
        Hypothesis {
            category,
            score: score.clamp(0.0, 1.0),
            feature: None,
            version: None,
            support: Vec::new(),
            against: Vec::new(),
        }
    }

    /// Lowers the score by `factor` for the reason given.
    pub fn weaken(&mut self, factor: f64, why: impl Into<String>) {
        self.score = (self.score * factor).clamp(0.0, 1.0);
        self.against.push(why.into());
    }
}

/// A fraction as a percentage with one decimal: 0.966 -> "96.6%".
pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A number with up to 3 significant decimals, no trailing zeros.
pub fn num(x: f64) -> String {
    let s = if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Relative change from `before` to `now` as a signed percentage: "+25%".
pub fn change(before: f64, now: f64) -> String {
    if before == 0.0 {
        return "n/a".into();
    }
    format!("{:+.0}%", (now - before) / before.abs() * 100.0)
}

/// A p-value as printed: "p=0.012", or "p<0.001" below that.
pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".into()
    } else {
        format!("p={}", num(p))
    }
}

/// One-sided p-value that `a` is truly less accurate than `b` (pooled
/// two-proportion z-test, the test of the `version_regression` rule).
pub fn worse_p_value(a: Accuracy, b: Accuracy) -> f64 {
    let (Some(ra), Some(rb)) = (a.rate(), b.rate()) else {
        return 1.0;
    };
    let (n1, n2) = (a.labeled as f64, b.labeled as f64);
    let pooled = (a.correct + b.correct) as f64 / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se == 0.0 {
        return if ra < rb { 0.0 } else { 1.0 };
    }
    mlobs_operators::stats::pvalues::normal_sf((rb - ra) / se)
}

/// The significance level for "one version is worse than another", the
/// default `regression_p_value` of the alert rules.
pub const SIGNIFICANT: f64 = 0.01;
