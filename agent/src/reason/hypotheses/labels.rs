//! Labels delayed or few: accuracy is computed on the labels that arrived,
//! so when fewer or later labels arrive the measured accuracy rests on a
//! small, early (hence biased) sample and may fall with nothing wrong.
//!
//! The rule: coverage fell below half of its level before, or the median
//! delay at least doubled; and the accuracy drop on the labels at hand is
//! not significant (one-sided two-proportion test, p >= 0.01), or nothing
//! else explains it. Failed predictions never get labels, so a coverage
//! fall that errors account for is the errors' doing, not the labels'.
//! The accuracy estimated from the confidences (CBPE) needs no label: when
//! it held, the model looks healthy and the hypothesis is strong; when it
//! fell, or the labels that came disagree with it, something else changed.

use super::super::evidence::{Accuracy, Evidence};
use super::super::hypothesis::{
    num, p_text, pct, worse_p_value, EvidenceLine, Hypothesis, SIGNIFICANT,
};
use crate::reason::category::Category;

/// Coverage below this fraction of its level before is a fall.
pub const MAX_COVERAGE_RATIO: f64 = 0.5;
/// A median delay at least this many times its level before is a delay.
pub const MIN_DELAY_RATIO: f64 = 2.0;
/// The estimated accuracy moved less than this (or its band) has held.
pub const MIN_ESTIMATE_CHANGE: f64 = 0.01;

/// Labeled and correct predictions of all versions, before and during.
fn pooled(ev: &Evidence) -> (Accuracy, Accuracy) {
    let sum = |pick: fn(&super::super::evidence::VersionEvidence) -> Option<Accuracy>| {
        ev.versions
            .iter()
            .filter_map(pick)
            .fold(Accuracy::default(), |t, a| Accuracy {
                labeled: t.labeled + a.labeled,
                correct: t.correct + a.correct,
            })
    };
    (sum(|v| v.before), sum(|v| v.during))
}

/// `labels.delayed`: accuracy looks low because labels are few or late.
pub fn delayed(ev: &Evidence) -> Hypothesis {
    let Some(l) = ev.labels else {
        return Hypothesis::unsupported(
            Category::LabelsDelayed,
            "no label coverage or delay figures",
        );
    };
    let cov_ratio = l.coverage / l.coverage_before.max(1e-9);
    let delay_ratio = l.delay_p50_s / l.delay_p50_s_before.max(1e-9);
    let fewer = cov_ratio < MAX_COVERAGE_RATIO;
    let later = delay_ratio >= MIN_DELAY_RATIO;
    if !fewer && !later {
        return Hypothesis::unsupported(
            Category::LabelsDelayed,
            format!(
                "labels arrive as before: coverage {} -> {}, median delay {} -> {} s",
                pct(l.coverage_before),
                pct(l.coverage),
                num(l.delay_p50_s_before),
                num(l.delay_p50_s)
            ),
        );
    }
    let mut h = Hypothesis::scored(Category::LabelsDelayed, 0.6);
    let src = &ev.sources.labels;
    h.support.push(EvidenceLine::new(
        format!(
            "label coverage {} -> {}",
            pct(l.coverage_before),
            pct(l.coverage)
        ),
        "label_coverage",
        l.coverage,
        Some(l.coverage_before),
        src,
    ));
    h.support.push(EvidenceLine::new(
        format!(
            "median label delay {} -> {} s (x{})",
            num(l.delay_p50_s_before),
            num(l.delay_p50_s),
            num(delay_ratio)
        ),
        "label_delay_p50_s",
        l.delay_p50_s,
        Some(l.delay_p50_s_before),
        src,
    ));
    let (before, during) = pooled(ev);
    if let (Some(b), Some(d)) = (before.rate(), during.rate()) {
        let p = worse_p_value(during, before);
        if p >= SIGNIFICANT {
            h.score = 0.9;
            h.support.push(EvidenceLine::new(
                format!(
                    "accuracy {} -> {} on only {} labels is within noise ({} >= {})",
                    pct(b),
                    pct(d),
                    during.labeled,
                    p_text(p),
                    SIGNIFICANT
                ),
                "accuracy",
                d,
                Some(b),
                &ev.sources.accuracy,
            ));
        } else {
            h.weaken(
                0.6,
                format!(
                    "accuracy fell {} -> {} on {} labels, significantly ({}): few labels alone do not explain it",
                    pct(b),
                    pct(d),
                    during.labeled,
                    p_text(p)
                ),
            );
        }
    }
    weigh_the_estimate(&mut h, ev);
    let failed: f64 = ev.errors.iter().map(|e| e.count).sum::<u64>() as f64;
    let served: u64 = ev
        .errors
        .iter()
        .map(|e| (e.version.as_str(), e.predictions))
        .collect::<std::collections::BTreeMap<_, _>>()
        .values()
        .sum();
    let error_rate = if served == 0 {
        0.0
    } else {
        failed / served as f64
    };
    let fall = l.coverage_before - l.coverage;
    if fewer && fall > 0.0 && error_rate >= 0.5 * fall {
        h.weaken(
            0.3,
            format!(
                "{} of predictions failed and failed predictions get no label: that explains most of the coverage fall of {} points",
                pct(error_rate),
                num(fall * 100.0)
            ),
        );
    }
    if ev.started_after_symptoms(l.started_at_ms) {
        h.weaken(0.3, "labels slowed after the first alert fired");
    }
    h
}

/// What the confidences say while the labels are late: an estimate that
/// held (within its band) says the model is healthy and the accuracy alert
/// is the labels' doing; one that fell says something else changed too.
/// Labels that arrived and disagree with the estimate say the same.
fn weigh_the_estimate(h: &mut Hypothesis, ev: &Evidence) {
    let Some(e) = ev.estimate else {
        return;
    };
    let Some(before) = e.before else {
        return;
    };
    let margin = e.during_half_band.max(MIN_ESTIMATE_CHANGE);
    let line = |claim: String| {
        EvidenceLine::new(
            claim,
            "accuracy_estimated",
            e.during,
            Some(before),
            &ev.sources.estimate,
        )
    };
    if e.during < before - margin {
        h.weaken(
            0.5,
            format!(
                "the accuracy estimated from the confidences (CBPE) fell too, {} -> {}: the predictions changed, not only the labels",
                pct(before),
                pct(e.during)
            ),
        );
    } else if e.labels_agree == Some(false) {
        h.weaken(
            0.5,
            "the labels that did arrive disagree with the accuracy estimated from the confidences: the relation between inputs and labels changed",
        );
    } else {
        h.score = h.score.max(0.9);
        h.support.push(line(format!(
            "the accuracy estimated from the confidences (CBPE) holds, {} -> {} (band +-{}): the model looks healthy while its labels are late",
            pct(before),
            pct(e.during),
            pct(e.during_half_band)
        )));
    }
}
