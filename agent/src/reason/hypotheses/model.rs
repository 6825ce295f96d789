//! Model issues: a buggy version, a version and its input disagreeing on
//! the schema.
//!
//! The discriminating fact of a version bug: on the same windows, hence the
//! same inputs, one version is significantly less accurate than another
//! (the `version_regression` test: more than 2 points, one-sided p < 0.01),
//! and no change of the input explains the gap. A gap is explained by the
//! input when a changed feature is read by the worse version and not by the
//! better one, and the worse version was as good as the other before.

use super::super::evidence::{Evidence, VersionEvidence};
use super::super::hypothesis::{
    num, p_text, pct, worse_p_value, EvidenceLine, Hypothesis, SIGNIFICANT,
};
use super::data::{change_kind, ChangeKind};
use super::{error_line, MIN_DROP};
use crate::reason::category::Category;

/// Error types that say the input does not fit the model.
const SCHEMA_ERRORS: [&str; 5] = ["schema", "shape", "dtype", "validation", "missing_feature"];

/// The worst significant gap on the same windows: (worse, better).
fn worst_gap(ev: &Evidence) -> Option<(&VersionEvidence, &VersionEvidence, f64)> {
    let mut best: Option<(&VersionEvidence, &VersionEvidence, f64)> = None;
    for a in &ev.versions {
        for b in &ev.versions {
            let (Some(da), Some(db)) = (a.during, b.during) else {
                continue;
            };
            let (Some(ra), Some(rb)) = (da.rate(), db.rate()) else {
                continue;
            };
            let p = worse_p_value(da, db);
            if rb - ra > MIN_DROP && p < SIGNIFICANT && best.is_none_or(|(_, _, g)| rb - ra > g) {
                best = Some((a, b, rb - ra));
            }
        }
    }
    best
}

/// `model.version_bug`: one version significantly worse than another on
/// the same windows, not explained by a change of the input.
pub fn version_bug(ev: &Evidence) -> Hypothesis {
    let compared = ev.versions.iter().filter(|v| v.during.is_some()).count();
    if compared < 2 {
        return Hypothesis::unsupported(
            Category::ModelVersionBug,
            format!("{compared} version(s) with accuracy on the incident windows: nothing to compare on the same inputs"),
        );
    }
    let Some((worse, better, gap)) = worst_gap(ev) else {
        let rates: Vec<String> = ev
            .versions
            .iter()
            .filter_map(|v| Some(format!("v{} {}", v.version, pct(v.during?.rate()?))))
            .collect();
        return Hypothesis::unsupported(
            Category::ModelVersionBug,
            format!(
                "no version is significantly more than {} points below another on the same windows ({})",
                MIN_DROP * 100.0,
                rates.join(", ")
            ),
        );
    };
    let (dw, db) = (
        worse.during.unwrap_or_default(),
        better.during.unwrap_or_default(),
    );
    let p = worse_p_value(dw, db);
    let mut h = Hypothesis::scored(Category::ModelVersionBug, 0.9);
    h.version = Some(worse.version.clone());
    h.support.push(EvidenceLine::new(
        format!(
            "on the same windows version {} is at {} ({} labels) vs version {} at {} ({} labels): -{} points, {}",
            worse.version,
            pct(dw.rate().unwrap_or(0.0)),
            dw.labeled,
            better.version,
            pct(db.rate().unwrap_or(0.0)),
            db.labeled,
            num(gap * 100.0),
            p_text(p)
        ),
        format!("accuracy.v{}", worse.version),
        dw.rate().unwrap_or(0.0),
        db.rate(),
        &ev.sources.accuracy,
    ));
    // Is the gap the input's doing? A changed feature only the worse reads.
    let was_fine = match (
        worse.before.and_then(|a| a.rate()),
        better.before.and_then(|a| a.rate()),
    ) {
        (Some(w), Some(b)) => w >= b - MIN_DROP,
        _ => false,
    };
    let culprit = ev
        .features
        .iter()
        .find(|f| change_kind(f).is_some() && worse.uses(&f.name) && !better.uses(&f.name));
    if let (Some(f), true) = (culprit, was_fine) {
        h.weaken(
            0.25,
            format!(
                "the gap is the input's: {} changed and version {} reads it while version {} does not; before the change version {} was at {} vs {}",
                f.name,
                worse.version,
                better.version,
                worse.version,
                pct(worse.before.and_then(|a| a.rate()).unwrap_or(0.0)),
                pct(better.before.and_then(|a| a.rate()).unwrap_or(0.0)),
            ),
        );
    }
    h
}

/// `model.schema_mismatch`: a feature a version reads is absent from every
/// record, or predictions fail with schema/shape errors.
pub fn schema_mismatch(ev: &Evidence) -> Hypothesis {
    let gone = ev
        .features
        .iter()
        .find(|f| change_kind(f) == Some(ChangeKind::Gone));
    let schema_errors: Vec<_> = ev
        .errors
        .iter()
        .filter(|e| SCHEMA_ERRORS.iter().any(|s| e.error_type.contains(s)) && e.rate() >= 0.01)
        .collect();
    if gone.is_none() && schema_errors.is_empty() {
        let max_missing = ev
            .features
            .iter()
            .max_by(|a, b| a.missing_rate_current.total_cmp(&b.missing_rate_current));
        let what = match max_missing {
            Some(f) => format!(
                "every feature still arrives (highest missing rate {} on {})",
                pct(f.missing_rate_current),
                f.name
            ),
            None => "no feature profile".into(),
        };
        return Hypothesis::unsupported(
            Category::ModelSchemaMismatch,
            format!("{what}, and no schema or shape errors"),
        );
    }
    let mut h = Hypothesis::scored(Category::ModelSchemaMismatch, 0.85);
    if let Some(f) = gone {
        h.feature = Some(f.name.clone());
        let readers: Vec<&str> = ev
            .versions
            .iter()
            .filter(|v| v.uses(&f.name))
            .map(|v| v.version.as_str())
            .collect();
        h.version = ev
            .champion()
            .filter(|c| c.uses(&f.name))
            .map(|c| c.version.clone());
        h.support.push(EvidenceLine::new(
            format!(
                "{} is missing from {} of records (baseline {}); read by version(s) {}",
                f.name,
                pct(f.missing_rate_current),
                pct(f.missing_rate_baseline),
                readers.join(", ")
            ),
            format!("{}.missing_rate", f.name),
            f.missing_rate_current,
            Some(f.missing_rate_baseline),
            &ev.sources.drift,
        ));
    }
    for e in schema_errors {
        h.version.get_or_insert_with(|| e.version.clone());
        h.support.push(error_line(ev, e));
    }
    h
}
