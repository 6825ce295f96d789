//! `get_resource_usage(model_name, time_window, bucket)`: CPU time, GPU
//! memory and GPU utilisation per version and bucket, and how each moves
//! with latency (p95) and the error rate across buckets (Pearson's r).
//! Read from inference_log, where stage 1 keeps each prediction's
//! resource usage, rather than Prometheus: the history covers any range
//! and version, the live series only the recent past (a Prometheus reader
//! is left for the agent's live checks).

use serde::Serialize;

use super::sql::{model_filter, time_filter};
use super::stats::pearson;
use super::{count, num, text, ModelRef, Range, TimeWindow, ToolError, Tools};

/// One version in one bucket.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UsageBucket {
    /// The version.
    pub version: String,
    /// The bucket.
    pub range: Range,
    /// Predictions.
    pub predictions: u64,
    /// Mean CPU time per prediction, milliseconds.
    pub cpu_time_ms_mean: Option<f64>,
    /// Mean GPU memory, megabytes.
    pub gpu_memory_mb_mean: Option<f64>,
    /// Max GPU memory, megabytes.
    pub gpu_memory_mb_max: Option<f64>,
    /// Mean GPU utilisation, fraction 0..1 as reported.
    pub gpu_utilization_mean: Option<f64>,
    /// p95 latency, milliseconds.
    pub latency_p95_ms: Option<f64>,
    /// errors / predictions, fraction 0..1.
    pub error_rate: f64,
}

/// Correlations across buckets (null: too few buckets or no variance).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Correlation {
    /// The resource.
    pub resource: &'static str,
    /// Pearson's r with p95 latency.
    pub with_latency_p95: Option<f64>,
    /// Pearson's r with the error rate.
    pub with_error_rate: Option<f64>,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceUsage {
    /// Model and version asked about.
    pub model: ModelRef,
    /// The range covered.
    pub range: Range,
    /// Bucket length, milliseconds.
    pub bucket_ms: i64,
    /// Per version and bucket.
    pub buckets: Vec<UsageBucket>,
    /// Over all buckets of all selected versions.
    pub correlations: Vec<Correlation>,
}

/// Correlations of each resource with latency and errors over `buckets`.
pub fn correlations(buckets: &[UsageBucket]) -> Vec<Correlation> {
    type Pick = fn(&UsageBucket) -> Option<f64>;
    let resources: [(&'static str, Pick); 3] = [
        ("cpu_time_ms_mean", |b| b.cpu_time_ms_mean),
        ("gpu_memory_mb_mean", |b| b.gpu_memory_mb_mean),
        ("gpu_utilization_mean", |b| b.gpu_utilization_mean),
    ];
    resources
        .iter()
        .map(|(name, pick)| {
            let lat: Vec<(f64, f64)> = buckets
                .iter()
                .filter_map(|b| pick(b).zip(b.latency_p95_ms))
                .collect();
            let err: Vec<(f64, f64)> = buckets
                .iter()
                .filter_map(|b| pick(b).map(|x| (x, b.error_rate)))
                .collect();
            Correlation {
                resource: name,
                with_latency_p95: pearson(&lat),
                with_error_rate: pearson(&err),
            }
        })
        .collect()
}

impl Tools {
    /// See the module documentation.
    pub fn get_resource_usage(
        &self,
        model_name: &str,
        time_window: &str,
        bucket: Option<&str>,
    ) -> Result<ResourceUsage, ToolError> {
        let model = self.resolve(model_name)?;
        let window = self.window(time_window)?;
        let bucket_ms = match bucket {
            Some(b) => {
                let w = TimeWindow::parse(b, 0)
                    .map_err(|_| ToolError::bad("bucket", b, "a span such as 1m, 5m"))?;
                w.end_ms - w.start_ms
            }
            None => 60_000,
        };
        let sql = format!(
            "SELECT version, intDiv(event_time_ms, {bucket_ms}) * {bucket_ms} AS bucket, count() AS n, \
             avg(cpu_time_ms) AS cpu, avg(gpu_memory_mb) AS mem, max(gpu_memory_mb) AS mem_max, \
             avg(gpu_utilization) AS util, quantileExact(0.95)(latency_ms) AS p95, \
             countIf(isNotNull(error_type)) AS errors FROM {} WHERE {} AND {} \
             GROUP BY version, bucket ORDER BY bucket, version",
            self.table("inference_log"),
            model_filter(&model),
            time_filter("event_time_ms", &window)
        );
        let buckets: Vec<UsageBucket> = self
            .rows(&sql)?
            .iter()
            .map(|r| {
                let start_ms = num(&r["bucket"]).unwrap_or(0.0) as i64;
                let n = count(&r["n"]);
                UsageBucket {
                    version: text(&r["version"]),
                    range: TimeWindow {
                        start_ms,
                        end_ms: start_ms + bucket_ms,
                    }
                    .range(),
                    predictions: n,
                    cpu_time_ms_mean: num(&r["cpu"]),
                    gpu_memory_mb_mean: num(&r["mem"]),
                    gpu_memory_mb_max: num(&r["mem_max"]),
                    gpu_utilization_mean: num(&r["util"]),
                    latency_p95_ms: num(&r["p95"]),
                    error_rate: if n == 0 {
                        0.0
                    } else {
                        count(&r["errors"]) as f64 / n as f64
                    },
                }
            })
            .collect();
        if buckets.is_empty() {
            let r = window.range();
            return Err(ToolError::EmptyWindow {
                what: "predictions".into(),
                model: model.label(),
                start: r.start,
                end: r.end,
            });
        }
        Ok(ResourceUsage {
            correlations: correlations(&buckets),
            model,
            range: window.range(),
            bucket_ms,
            buckets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_that_rises_with_errors_correlates() {
        let buckets: Vec<UsageBucket> = (0..6)
            .map(|i| UsageBucket {
                version: "2".into(),
                range: Range {
                    start: String::new(),
                    end: String::new(),
                },
                predictions: 100,
                cpu_time_ms_mean: Some(5.0),
                gpu_memory_mb_mean: Some(1000.0 + 500.0 * i as f64),
                gpu_memory_mb_max: None,
                gpu_utilization_mean: None,
                latency_p95_ms: Some(20.0 + i as f64),
                error_rate: 0.01 * i as f64,
            })
            .collect();
        let c = correlations(&buckets);
        assert!(c[1].with_error_rate.unwrap() > 0.99);
        assert!(
            c[0].with_latency_p95.is_none(),
            "constant CPU has no correlation"
        );
        assert!(
            c[2].with_error_rate.is_none(),
            "no GPU utilisation reported"
        );
    }
}
