//! Pure mappings from the tools' answers onto [`Evidence`] parts, one per
//! tool answer, so each decision is tested without services.

use std::collections::BTreeMap;

use crate::reason::evidence::{
    Accuracy as Counts, ErrorEvidence, EstimateEvidence, FeatureEvidence, LabelEvidence,
    LatencyEvidence, NumericSummary, Role, Symptom, VersionEvidence,
};
use crate::tools::accuracy::Accuracy;
use crate::tools::alerts::Alerts;
use crate::tools::distribution::{Distribution, Side};
use crate::tools::drift::Drift;
use crate::tools::estimate::PerformanceEstimate;
use crate::tools::latency::LatencyAndErrors;
use crate::tools::resources::{ResourceUsage, UsageBucket};

/// Every alert of the span becomes a symptom, resolved ones too: a
/// replayed incident is over by the time it is investigated, and what
/// fired is still what needs explaining. The subject (feature, error type)
/// is the alert's metric after its last `:` when it names one.
pub fn symptoms(alerts: &Alerts) -> Vec<Symptom> {
    alerts
        .alerts
        .iter()
        .map(|a| Symptom {
            alert: a.rule.clone(),
            version: (!a.version.is_empty()).then(|| a.version.clone()),
            subject: a.metric.rsplit_once(':').map(|(_, s)| s.to_string()),
            value: a.value,
            threshold: a.threshold,
            started_at_ms: mlobs_schemas::time::parse_rfc3339(&a.started_at).unwrap_or(0),
        })
        .collect()
}

/// One verdict per feature across the versions' latest windows: a drifted
/// verdict wins (the feature changed in the input all versions share; one
/// version's window may be too small to show it), then the larger sample.
/// Distributions, when read, add the baseline and current profiles.
pub fn features(drift: &Drift, distributions: &[Distribution]) -> Vec<FeatureEvidence> {
    let mut best: BTreeMap<String, &crate::tools::drift::FeatureVerdict> = BTreeMap::new();
    for f in drift.versions.iter().flat_map(|v| &v.features) {
        if f.status == "not_monitored" {
            continue;
        }
        let better = match best.get(&f.feature) {
            None => true,
            Some(b) => (f.drifted, f.current_count) > (b.drifted, b.current_count),
        };
        if better {
            best.insert(f.feature.clone(), f);
        }
    }
    best.into_values()
        .map(|f| {
            let mut e = FeatureEvidence {
                name: f.feature.clone(),
                method: f.method.clone(),
                score: f.score,
                threshold: f.threshold,
                drifted: f.drifted,
                ..FeatureEvidence::default()
            };
            let total = f.current_count + f.current_missing;
            if total > 0 {
                e.missing_rate_current = f.current_missing as f64 / total as f64;
            }
            if let Some(d) = distributions.iter().find(|d| d.feature == f.feature) {
                profile(&mut e, d);
            }
            e
        })
        .collect()
}

/// Adds a distribution's profiles to a feature's evidence.
fn profile(e: &mut FeatureEvidence, d: &Distribution) {
    e.current = summary(&d.current);
    e.missing_rate_current = d.current.missing_rate;
    if let Some(b) = &d.baseline {
        e.baseline = summary(b);
        e.missing_rate_baseline = b.missing_rate;
    }
    let unseen: u64 = d.unseen_values.iter().map(|(_, n)| n).sum();
    e.unseen_categories = d.unseen_values.iter().map(|(c, _)| c.clone()).collect();
    if d.current.count > 0 {
        e.unseen_share = unseen as f64 / d.current.count as f64;
    }
}

/// A numeric side as the reasoning's summary; `None` for categories.
fn summary(s: &Side) -> Option<NumericSummary> {
    let p = |k: &str| s.percentiles.get(k).copied();
    Some(NumericSummary {
        mean: s.mean?,
        std: s.std?,
        p01: p("p1")?,
        p50: p("p50")?,
        p99: p("p99")?,
    })
}

/// Every version with history, its role from the registry's aliases and its
/// accuracy before and during the incident; both answers were read on the
/// same ranges for every version, so the numbers compare.
pub fn versions(
    before: Option<&Accuracy>,
    during: &Accuracy,
    aliases: &BTreeMap<String, String>,
    features: &BTreeMap<String, Vec<String>>,
) -> Vec<VersionEvidence> {
    let counts = |a: &Accuracy, v: &str| {
        a.versions.iter().find(|x| x.version == v).map(|x| Counts {
            labeled: x.labeled,
            correct: x.correct,
        })
    };
    let mut names: Vec<String> = during.versions.iter().map(|v| v.version.clone()).collect();
    let known = before.iter().flat_map(|b| &b.versions).map(|v| &v.version);
    // Registered versions that served nothing in the span may still be
    // the one to roll back to.
    let registered = aliases.values().chain(features.keys());
    for v in known.chain(registered) {
        if !names.contains(v) {
            names.push(v.clone());
        }
    }
    names.sort_by(|a, b| version_order(a, b));
    names
        .into_iter()
        .map(|v| VersionEvidence {
            role: match aliases.iter().find(|(_, version)| **version == v) {
                Some((alias, _)) if alias == "champion" => Role::Champion,
                Some((alias, _)) if alias == "challenger" => Role::Challenger,
                _ => Role::None,
            },
            features: features.get(&v).cloned().unwrap_or_default(),
            before: before.and_then(|b| counts(b, &v)),
            during: counts(during, &v),
            version: v,
        })
        .collect()
}

/// Numeric versions in numeric order ("2" before "10"), others by text.
fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Failed predictions per version and type during the incident.
pub fn errors(during: &LatencyAndErrors) -> Vec<ErrorEvidence> {
    let started = |version: &str, kind: &str| {
        during
            .buckets
            .iter()
            .filter(|b| b.version == version && b.errors_by_type.get(kind).copied() > Some(0))
            .filter_map(|b| mlobs_schemas::time::parse_rfc3339(&b.range.end).ok())
            .min()
    };
    during
        .totals
        .iter()
        .flat_map(|t| {
            t.errors_by_type
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(move |(kind, n)| ErrorEvidence {
                    version: t.version.clone(),
                    error_type: kind.clone(),
                    count: *n,
                    predictions: t.predictions,
                    started_at_ms: started(&t.version, kind),
                })
        })
        .collect()
}

/// Latency per version, before against during; a version without traffic
/// before compares with itself (no rise). Resources are left unset: their
/// live series are Prometheus's, not the history's.
pub fn latency(
    before: Option<&LatencyAndErrors>,
    during: &LatencyAndErrors,
) -> Vec<LatencyEvidence> {
    during
        .totals
        .iter()
        .map(|t| {
            let b = before
                .and_then(|b| b.totals.iter().find(|x| x.version == t.version))
                .unwrap_or(t);
            LatencyEvidence {
                version: t.version.clone(),
                p95_ms_before: b.p95_ms.unwrap_or(0.0),
                p95_ms: t.p95_ms.unwrap_or(0.0),
                p99_ms_before: b.p99_ms.unwrap_or(0.0),
                p99_ms: t.p99_ms.unwrap_or(0.0),
                ..LatencyEvidence::default()
            }
        })
        .collect()
}

/// Label coverage and median label delay of the model before and during,
/// both by prediction time. A side without a delay figure takes the other
/// side's (no rise claimed); without any, both stay 0.
pub fn labels(before: Option<&Accuracy>, during: &Accuracy) -> Option<LabelEvidence> {
    let coverage = during.overall.label_coverage?;
    let delay = during.overall.label_delay_p50_s;
    let delay_before = before.and_then(|b| b.overall.label_delay_p50_s).or(delay);
    Some(LabelEvidence {
        coverage_before: before
            .and_then(|b| b.overall.label_coverage)
            .unwrap_or(coverage),
        coverage,
        delay_p50_s_before: delay_before.unwrap_or(0.0),
        delay_p50_s: delay.or(delay_before).unwrap_or(0.0),
        ..LabelEvidence::default()
    })
}

/// The estimate of every version together, before and during: the
/// predictions-weighted mean, and the during band with the versions'
/// variances added.
pub fn estimate(
    before: Option<&PerformanceEstimate>,
    during: &PerformanceEstimate,
) -> Option<EstimateEvidence> {
    let pooled = |e: &PerformanceEstimate| {
        let n: f64 = e.versions.iter().map(|v| v.predictions as f64).sum();
        (n > 0.0).then(|| {
            let mean = e
                .versions
                .iter()
                .map(|v| v.predictions as f64 * v.accuracy_estimated)
                .sum::<f64>()
                / n;
            let variance = e
                .versions
                .iter()
                .map(|v| {
                    (v.predictions as f64 * (v.accuracy_estimated_upper - v.accuracy_estimated))
                        .powi(2)
                })
                .sum::<f64>();
            (mean, variance.sqrt() / n)
        })
    };
    let (during_mean, half_band) = pooled(during)?;
    let verdicts: Vec<bool> = during
        .versions
        .iter()
        .filter_map(|v| v.labels_agree)
        .collect();
    Some(EstimateEvidence {
        before: before.and_then(pooled).map(|(mean, _)| mean),
        during: during_mean,
        during_half_band: half_band,
        labels_agree: (!verdicts.is_empty()).then(|| verdicts.iter().all(|a| *a)),
    })
}

/// Adds each version's resource usage to its latency evidence: mean CPU
/// time per prediction and GPU utilisation before and during (`split_ms`,
/// the first symptom; without one both sides are the whole span), and the
/// correlation of each with p95 latency across that version's buckets
/// (per version: another version's level would fake a correlation).
pub fn resources(latency: &mut [LatencyEvidence], usage: &ResourceUsage, split_ms: Option<i64>) {
    for l in latency.iter_mut() {
        let mine: Vec<&UsageBucket> = usage
            .buckets
            .iter()
            .filter(|b| b.version == l.version)
            .collect();
        let starts = |b: &UsageBucket| mlobs_schemas::time::parse_rfc3339(&b.range.start).ok();
        let side = |during: bool| -> Vec<&UsageBucket> {
            mine.iter()
                .copied()
                .filter(|b| match (split_ms, starts(b)) {
                    (Some(s), Some(t)) => (t >= s) == during,
                    _ => true,
                })
                .collect()
        };
        let (before, during) = (side(false), side(true));
        let before = if before.is_empty() { &during } else { &before };
        let mean = |bs: &[&UsageBucket], pick: fn(&UsageBucket) -> Option<f64>| {
            let (sum, n) = bs
                .iter()
                .filter_map(|b| pick(b).map(|x| (x * b.predictions as f64, b.predictions)))
                .fold((0.0, 0u64), |(s, n), (x, k)| (s + x, n + k));
            (n > 0).then(|| sum / n as f64)
        };
        l.cpu_ms_before = mean(before, |b| b.cpu_time_ms_mean);
        l.cpu_ms = mean(&during, |b| b.cpu_time_ms_mean);
        l.gpu_utilization_before = mean(before, |b| b.gpu_utilization_mean);
        l.gpu_utilization = mean(&during, |b| b.gpu_utilization_mean);
        let owned: Vec<UsageBucket> = mine.iter().map(|b| (*b).clone()).collect();
        let c = crate::tools::resources::correlations(&owned);
        let with = |name: &str| {
            c.iter()
                .find(|x| x.resource == name)
                .and_then(|x| x.with_latency_p95)
        };
        l.cpu_latency_correlation = with("cpu_time_ms_mean");
        l.gpu_latency_correlation = with("gpu_utilization_mean");
    }
}

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
