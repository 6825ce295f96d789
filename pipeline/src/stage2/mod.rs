//! Stage 2: merge the partials of each window from every source partition,
//! test drift against the version's baseline, publish WindowMetrics.

pub mod alerting;
pub mod champions;
pub mod estimates;
pub mod runner;

use std::sync::Arc;

use mlobs_operators::drift::dataset::window_drift;
use mlobs_operators::drift::{DriftOptions, FeatureDrift};
use mlobs_operators::metrics::SumCount;
use mlobs_operators::stage2::WindowResult;
use mlobs_schemas::{AlertEvent, FeatureDriftResult, PredictionWindowOutcomes, WindowMetrics};

use crate::baselines::{LiveBaselines, VersionBaseline};
use crate::dead_letters::DeadLetter;
use crate::outbox::{Outbox, Outgoing};
use crate::sinks::clickhouse::rows::{Emitted, EmittedDrift};
use crate::sinks::clickhouse::writer::HistoryWriter;
use crate::sinks::Metrics;
use crate::{Config, PipelineError};
use estimates::Estimates;

/// The published form of a window result; drift is tested when the version
/// has a baseline and the window has predictions (a window holding only
/// labels has no inputs to compare; a baseline that does not fit the data is
/// reported and the window goes out without drift rather than not at all).
pub fn window_metrics(
    result: &WindowResult,
    baseline: Option<&VersionBaseline>,
    options: &DriftOptions,
) -> WindowMetrics {
    let m = &result.metrics;
    let mean = |s: &SumCount| (s.count > 0).then(|| s.sum / s.count as f64);
    let report = baseline.filter(|_| m.predictions > 0).and_then(|b| {
        match window_drift(&b.reference, &m.features, m.predictions, options) {
            Ok(report) => Some(report),
            Err(error) => {
                tracing::warn!(
                    model = %result.key.model,
                    version = %result.key.version,
                    %error,
                    "the baseline does not fit this window: no drift for it"
                );
                None
            }
        }
    });
    WindowMetrics {
        model: result.key.model.clone(),
        version: result.key.version.clone(),
        environment: result.key.environment.clone(),
        window_start: result.key.window_start,
        window_end: result.window_end,
        complete: result.complete,
        sources_with_data: result.sources_with_data as i32,
        sources_expected: result.sources_expected as i32,
        predictions: m.predictions as i64,
        labeled: m.labeled as i64,
        correct: m.correct as i64,
        unlabeled: m.unlabeled as i64,
        accuracy: m.accuracy(),
        errors: m
            .errors
            .iter()
            .map(|(k, v)| (k.clone(), *v as i64))
            .collect(),
        latency_p50_ms: m.latency.quantile(0.5),
        latency_p95_ms: m.latency.quantile(0.95),
        latency_p99_ms: m.latency.quantile(0.99),
        confidence_mean: mean(&m.confidence_sum),
        confidence_histogram: m.confidence.counts().iter().map(|n| *n as i64).collect(),
        mae: m.regression.mae(),
        rmse: m.regression.rmse(),
        cpu_time_ms_mean: mean(&m.resources.cpu_time_ms),
        gpu_memory_mb_mean: mean(&m.resources.gpu_memory_mb),
        gpu_utilization_mean: mean(&m.resources.gpu_utilization),
        dataset_drift: report.as_ref().is_some_and(|r| r.dataset_drift),
        share_drifted: report.as_ref().map_or(0.0, |r| r.share_drifted),
        drift: report
            .map(|r| r.features.iter().map(feature_result).collect())
            .unwrap_or_default(),
        outcomes_by_prediction_window: m
            .outcomes_by_prediction_window
            .iter()
            .map(|(start, tally)| PredictionWindowOutcomes {
                window_start: *start,
                labeled: tally.labeled as i64,
                correct: tally.correct as i64,
            })
            .collect(),
        ..WindowMetrics::default()
    }
}

/// Publishes window results and waits until the broker has them; returns
/// what was published. Each version with predictions is reported to
/// `baselines` as seen (a version without baseline shows as missing).
pub fn publish(
    outbox: &mut Outbox,
    config: &Config,
    baselines: &LiveBaselines,
    (options, estimates): (&DriftOptions, &mut Estimates),
    results: &[WindowResult],
) -> Result<Vec<WindowMetrics>, PipelineError> {
    let mut published = Vec::with_capacity(results.len());
    let current = baselines.current();
    for result in results {
        let (model, version) = (&result.key.model, &result.key.version);
        if result.metrics.predictions > 0 {
            baselines.saw(model, version);
        }
        let baseline = current.get(model, version);
        let mut metrics = window_metrics(result, baseline.as_deref(), options);
        estimates.apply(result, baseline.as_deref(), &mut metrics);
        let payload =
            mlobs_schemas::encode(&metrics).map_err(|e| PipelineError::Stopped(e.to_string()))?;
        let key = format!(
            "{}/{}/{}/{}",
            metrics.model, metrics.version, metrics.environment, metrics.window_start
        );
        outbox.send(Outgoing {
            topic: &config.kafka.topics.window_metrics,
            partition: None,
            key: key.as_bytes(),
            payload: &payload,
            headers: None,
            timestamp: Some(metrics.window_end),
        })?;
        published.push(metrics);
    }
    outbox.flush()?;
    Ok(published)
}

/// Writes published windows and alert transitions to the history
/// (returning once ClickHouse has them, so the commit that follows is safe,
/// with the rows it refused, for the dead-letter topic) and sets the window
/// gauges.
pub fn record(
    windows: &[WindowMetrics],
    alerts: &[AlertEvent],
    history: Option<&mut HistoryWriter>,
    metrics: &Metrics,
) -> Result<Vec<DeadLetter>, PipelineError> {
    let mut refused = Vec::new();
    if let Some(history) = history {
        let now_ms = mlobs_schemas::time::now_ms();
        for window in windows {
            let emitted = Emitted {
                window: Arc::new(window.clone()),
                updated_ms: now_ms,
            };
            history.add(emitted.clone());
            history.add(EmittedDrift(emitted));
        }
        for alert in alerts {
            history.add(alert.clone());
        }
        refused = history.flush()?;
    }
    for window in windows {
        metrics.observe_window(window);
    }
    Ok(refused)
}

fn feature_result(f: &FeatureDrift) -> FeatureDriftResult {
    let s = &f.statistics;
    FeatureDriftResult {
        feature: f.name.clone(),
        kind: format!("{:?}", f.kind).to_lowercase(),
        method: f.method.name().to_string(),
        score: f.score,
        threshold: f.threshold,
        drift_detected: f.drift_detected,
        status: f.status.name().to_string(),
        ks_statistic: s.ks_statistic,
        ks_p_value: s.ks_p_value,
        wasserstein: s.wasserstein,
        wasserstein_normalized: s.wasserstein_normalized,
        psi: s.psi,
        jensen_shannon: s.jensen_shannon,
        chi2_statistic: s.chi2_statistic,
        chi2_p_value: s.chi2_p_value,
        current_count: f.current.count as i64,
        current_missing: f.current.missing as i64,
        current_unseen: f.current_unseen.unwrap_or(0) as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baselines::Baselines;
    use mlobs_operators::baseline::{Baseline, ColumnData};
    use mlobs_operators::metrics::MetricsPartial;
    use mlobs_operators::stage2::WindowKey;

    fn window(predictions: u64, labeled: u64) -> WindowResult {
        WindowResult {
            key: WindowKey {
                window_start: 0,
                model: "m".into(),
                version: "1".into(),
                environment: "production".into(),
            },
            window_end: 60_000,
            complete: true,
            sources_with_data: 1,
            sources_expected: 1,
            metrics: MetricsPartial {
                predictions,
                labeled,
                ..MetricsPartial::default()
            },
        }
    }

    #[test]
    fn a_window_with_only_labels_gets_no_drift_results() {
        let column = ("x".to_string(), ColumnData::Numeric(vec![1.0, 2.0, 3.0]));
        let mut baselines = Baselines::default();
        baselines.insert("m", "1", &Baseline::build(&[column]));
        let baseline = baselines.get("m", "1").unwrap();
        let options = DriftOptions::default();

        let labels_only = window_metrics(&window(0, 5), Some(&baseline), &options);
        assert!(labels_only.drift.is_empty());
        assert!(!labels_only.dataset_drift);

        // Predictions without any feature value (hashed for privacy): x is
        // not monitored, and nothing drifted.
        let no_values = window_metrics(&window(5, 5), Some(&baseline), &options);
        assert_eq!(no_values.drift.len(), 1);
        assert_eq!(no_values.drift[0].status, "not_monitored");
        assert!(!no_values.drift[0].drift_detected && !no_values.dataset_drift);
    }
}
