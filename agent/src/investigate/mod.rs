//! The Investigate node: calls the tools for one model over one span and
//! maps their answers onto [`Evidence`] (see [`map`]), then the Reason
//! node ([`crate::reason::investigate`]) turns that into the report.
//!
//! The span ends at the newest window end of the model's history, not at
//! the wall clock: replayed and simulated data lives in the past, and an
//! investigation of it must see it. It starts at `since` when given, else
//! at the oldest window. "Before" is the span up to the onset of the first
//! symptom, "during" from there to the end; with no symptom, all of it is
//! "during". The onset is `for_windows` windows before the alert started:
//! a rule fires at the end of the last of `for_windows` breached windows in
//! a row, so the cause was there from the first of them. Splitting at the
//! alert itself would count those windows as "before" and hide part of the
//! change (a 20x latency rise measured as x1.3). When the onset is the
//! span's start (a cause present from the first window) the split falls
//! back to the alert, so the versions keep a "before" to compare.
//!
//! A tool that fails on its part (no drift results yet, no baseline, the
//! registry unreachable) leaves that part empty and the reasoning says
//! what it could not check; only an unknown model or an empty history
//! fails the investigation.

pub mod map;

use std::collections::BTreeMap;

use mlobs_schemas::time::format_rfc3339;

use crate::reason::{self, Evidence, InvestigationReport};
use crate::tools::{ToolError, Tools};

/// Gathers the evidence on `model` from `since_ms` (or its oldest window)
/// to its newest window; `for_windows` is the model's alert rules' setting
/// (how many breached windows an alert waits for).
pub fn gather(
    tools: &Tools,
    model: &str,
    since_ms: Option<i64>,
    for_windows: u32,
) -> Result<Evidence, ToolError> {
    let span = tools.history_span(model)?;
    let start = since_ms.unwrap_or(span.start_ms).min(span.end_ms - 1);
    let end = span.end_ms;
    let at = tools.clone().at(end);
    let range = |s: i64, e: i64| format!("{}/{}", format_rfc3339(s), format_rfc3339(e));
    let whole = range(start, end);

    let alerts = at.list_alerts(Some(model), None, &whole)?;
    let mut ev = Evidence {
        model: model.to_string(),
        window_start: format_rfc3339(start),
        window_end: format_rfc3339(end),
        window_ms: span.window_ms,
        symptoms: map::symptoms(&alerts),
        ..Evidence::default()
    };
    // What gather reads for these parts (the defaults name other sources).
    ev.sources.resources = "clickhouse:inference_log".into();
    ev.sources.labels = "clickhouse:outcomes".into();
    // list_alerts also returns alerts firing now; one that started after
    // the newest window cannot be explained by this span.
    ev.symptoms.retain(|s| s.started_at_ms <= end);
    let split = ev
        .first_symptom_ms()
        .and_then(|s| split_at(s, i64::from(for_windows) * span.window_ms, start, end));
    let during_range = range(split.unwrap_or(start), end);
    let before_range = split.map(|s| range(start, s));

    let during = at.get_model_accuracy(model, None, &during_range)?;
    let before = before_range
        .as_deref()
        .and_then(|r| ok(at.get_model_accuracy(model, None, r), "accuracy before"));
    let aliases = aliases(&at, model);
    let features = version_features(&at, model);
    ev.versions = map::versions(before.as_ref(), &during, &aliases, &features);
    ev.labels = map::labels(before.as_ref(), &during);
    if let Some(estimated) = ok(
        at.estimate_performance(model, None, &during_range),
        "estimate",
    ) {
        let before = before_range
            .as_deref()
            .and_then(|r| ok(at.estimate_performance(model, None, r), "estimate before"));
        ev.estimate = map::estimate(before.as_ref(), &estimated);
    }

    if let Some(drift) = ok(at.detect_data_drift(model, None), "drift") {
        let distributions: Vec<_> = drift
            .versions
            .iter()
            .flat_map(|v| &v.features)
            .filter(|f| f.drifted)
            .filter_map(|f| {
                ok(
                    at.get_feature_distribution(&f.feature, &during_range, Some(model)),
                    "distribution",
                )
            })
            .collect();
        ev.features = map::features(&drift, &distributions);
    }
    if let Some(lat) = ok(
        at.get_latency_and_errors(model, &during_range, None),
        "latency",
    ) {
        let before = before_range
            .as_deref()
            .and_then(|r| ok(at.get_latency_and_errors(model, r, None), "latency before"));
        ev.errors = map::errors(&lat);
        ev.latency = map::latency(before.as_ref(), &lat);
        // Buckets of one window: the correlation is across windows, as the
        // reasoning's thresholds assume.
        let bucket = format!("{}s", (span.window_ms / 1000).max(1));
        if let Some(usage) = ok(
            at.get_resource_usage(model, &whole, Some(&bucket)),
            "resources",
        ) {
            map::resources(&mut ev.latency, &usage, split);
        }
    }
    Ok(ev)
}

/// Where "before" ends for a first symptom at `symptom_ms`: its onset,
/// `onset_ms` earlier, when that leaves a "before" inside `(start, end)`;
/// else the symptom itself (a cause present from the first window has no
/// clean "before", and the first windows still compare versions before
/// the alert better than nothing); else no split.
fn split_at(symptom_ms: i64, onset_ms: i64, start: i64, end: i64) -> Option<i64> {
    [symptom_ms - onset_ms, symptom_ms]
        .into_iter()
        .find(|s| *s > start && *s < end)
}

/// Gathers the evidence and runs the Reason node: the report of `mlobs
/// agent investigate`.
pub fn run(
    tools: &Tools,
    model: &str,
    since_ms: Option<i64>,
    for_windows: u32,
) -> Result<InvestigationReport, ToolError> {
    Ok(reason::investigate(&gather(
        tools,
        model,
        since_ms,
        for_windows,
    )?))
}

/// The model's aliases (alias -> version), empty without a registry.
fn aliases(tools: &Tools, model: &str) -> BTreeMap<String, String> {
    let Some(registry) = tools.registry() else {
        return BTreeMap::new();
    };
    match registry.model(model) {
        Ok(m) => m
            .aliases
            .into_iter()
            .map(|a| (a.alias, a.version))
            .collect(),
        Err(e) => {
            tracing::info!(model, error = %e, "no registry entry: versions have no roles");
            BTreeMap::new()
        }
    }
}

/// The features each registered version of `model` reads, from its
/// `mlobs.features` tag; versions without the tag are left out (and then
/// count as reading every feature). A version that serves no traffic is
/// listed too: it may be the one to roll back to.
fn version_features(tools: &Tools, model: &str) -> BTreeMap<String, Vec<String>> {
    let Some(registry) = tools.registry() else {
        return BTreeMap::new();
    };
    let filter = format!("name='{}'", model.replace('\'', "''"));
    let versions = registry
        .search_versions(&filter)
        .map_err(|e| tracing::info!(model, error = %e, "version features unknown"))
        .unwrap_or_default();
    versions
        .into_iter()
        .filter_map(|v| {
            let reads = v.tag(mlobs_registry::FEATURES_TAG)?;
            let features = reads.split(',').map(str::trim).filter(|f| !f.is_empty());
            Some((v.version.clone(), features.map(str::to_string).collect()))
        })
        .collect()
}

/// A part's answer, or `None` with a log line saying what is missing.
fn ok<T>(answer: Result<T, ToolError>, part: &str) -> Option<T> {
    answer
        .map_err(|e| tracing::info!(part, error = %e, "left out of the evidence"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::split_at;

    #[test]
    fn before_ends_at_the_onset_else_at_the_alert_else_nowhere() {
        let w = 600_000;
        // Fault at 6w, alert after 2 breached windows at 8w.
        assert_eq!(split_at(8 * w, 2 * w, 0, 15 * w), Some(6 * w));
        // A cause from the first window: its onset is the start.
        assert_eq!(split_at(2 * w, 2 * w, 0, 15 * w), Some(2 * w));
        // An alert at the very start or end splits nothing.
        assert_eq!(split_at(0, 2 * w, 0, 15 * w), None);
        assert_eq!(split_at(15 * w, 0, 0, 15 * w), None);
    }
}
