//! From scored hypotheses to one named cause with a confidence, its
//! evidence, and why every alternative was rejected.

use serde::{Deserialize, Serialize};

use super::category::Category;
use super::evidence::Evidence;
use super::hypotheses::score_all;
use super::hypothesis::{num, EvidenceLine, Hypothesis};

/// A cause is named only with at least this support ...
pub const MIN_SCORE: f64 = 0.5;
/// ... and this lead over the runner-up; otherwise the answer is `none`:
/// two causes that fit about equally well are for a human to separate.
pub const MIN_MARGIN: f64 = 0.15;
/// The most `none` is ever believed: the tools see only what they measure,
/// so finding nothing is weak evidence that nothing is wrong.
pub const MAX_NONE_CONFIDENCE: f64 = 0.3;

/// Why an alternative was not chosen (the contract's `rejected` items).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    /// The alternative.
    pub category: Category,
    /// The reason, with numbers.
    pub why: String,
}

/// The Reason node's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    /// The cause named (`none` when no cause is supported clearly).
    pub category: Category,
    /// The feature at fault, if the cause has one.
    pub feature: Option<String>,
    /// The version at fault, if the cause has one.
    pub version: Option<String>,
    /// In [0, 1]: the winner's support discounted by the runner-up's.
    pub confidence: f64,
    /// Facts supporting the cause (for `none`: what was seen).
    pub evidence: Vec<EvidenceLine>,
    /// Every other category with its reason.
    pub rejected: Vec<Rejection>,
    /// All hypotheses, best first (ties in category order).
    pub ranked: Vec<Hypothesis>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Scores every category against `ev` and picks one.
///
/// The winner is the best-supported hypothesis if its score reaches
/// [`MIN_SCORE`] and leads the runner-up by [`MIN_MARGIN`]; its confidence
/// is `score x (1 - runner_up / 2)`, so a strong alternative costs
/// certainty. Otherwise the category is `none`, with a confidence of at
/// most [`MAX_NONE_CONFIDENCE`].
pub fn diagnose(ev: &Evidence) -> Diagnosis {
    let mut ranked = score_all(ev);
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.category.cmp(&b.category))
    });
    let best = &ranked[0];
    let second = &ranked[1];
    let clear = best.score >= MIN_SCORE && best.score - second.score >= MIN_MARGIN;
    if clear {
        let confidence = round2(best.score * (1.0 - second.score / 2.0));
        let mut rejected: Vec<Rejection> = ranked[1..]
            .iter()
            .map(|h| Rejection {
                category: h.category,
                why: why_not(h, best),
            })
            .collect();
        rejected.push(Rejection {
            category: Category::None,
            why: format!(
                "{} is supported: score {} >= {}, {} ahead of {}",
                best.category,
                num(best.score),
                MIN_SCORE,
                num(best.score - second.score),
                second.category
            ),
        });
        return Diagnosis {
            category: best.category,
            feature: best.feature.clone(),
            version: best.version.clone(),
            confidence,
            evidence: best.support.clone(),
            rejected,
            ranked,
        };
    }
    let (confidence, reason) = if best.score < MIN_SCORE {
        (
            round2((1.0 - best.score).min(MAX_NONE_CONFIDENCE)),
            format!(
                "no cause reaches a score of {}: the best, {}, has {}",
                MIN_SCORE,
                best.category,
                num(best.score)
            ),
        )
    } else {
        (
            round2((best.score - second.score).min(MAX_NONE_CONFIDENCE)),
            format!(
                "ambiguous: {} ({}) and {} ({}) fit about equally (lead < {})",
                best.category,
                num(best.score),
                second.category,
                num(second.score),
                MIN_MARGIN
            ),
        )
    };
    let rejected = ranked
        .iter()
        .map(|h| Rejection {
            category: h.category,
            why: if h.score >= MIN_SCORE {
                format!("{reason}; for it: {}", claims(h))
            } else if h.score > 0.0 {
                format!(
                    "score {} < {} needed to name a cause: {} (seen: {})",
                    num(h.score),
                    MIN_SCORE,
                    h.against.join("; "),
                    claims(h)
                )
            } else {
                why_not(h, best)
            },
        })
        .collect();
    let evidence = ranked
        .iter()
        .filter(|h| h.score > 0.0)
        .flat_map(|h| h.support.iter().cloned())
        .collect();
    Diagnosis {
        category: Category::None,
        feature: None,
        version: None,
        confidence,
        evidence,
        rejected,
        ranked,
    }
}

fn claims(h: &Hypothesis) -> String {
    h.support
        .iter()
        .map(|l| l.claim.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The rejection of `h` given the winner `best`: its own objections, and
/// for a partly supported one, how it compares.
fn why_not(h: &Hypothesis, best: &Hypothesis) -> String {
    let against = h.against.join("; ");
    if h.score == 0.0 {
        return against;
    }
    let mut why = format!(
        "score {} < {} of {}",
        num(h.score),
        num(best.score),
        best.category
    );
    if !against.is_empty() {
        why.push_str(": ");
        why.push_str(&against);
    }
    if !h.support.is_empty() {
        why.push_str(&format!(" (seen: {})", claims(h)));
    }
    why
}
