//! Pipeline health: is mlobs itself keeping up? Lag, throughput per stage,
//! dead letters, sink writes, join state and readiness, over every
//! pipeline process Prometheus scrapes.

use crate::model::{promql, Dashboard, Kind, Panel};

/// `rate()` of a pipeline counter, summed by `by`.
fn rate(by: &str, metric: &str) -> String {
    format!("sum by ({by}) (rate({metric}[$__rate_interval]))")
}

/// The dashboard.
pub fn dashboard() -> Dashboard {
    Dashboard {
        uid: "mlobs-pipeline",
        title: "mlobs / Pipeline health",
        description: "The mlobs pipeline itself: consumer lag, records per second per stage, dead letters, sink writes, join state and readiness.",
        from: "now-6h",
        panels: vec![
            Panel::new(Kind::TimeSeries, "Consumer lag", "short")
                .about("Records behind the end of the input partitions, per consumer group and topic: growing lag means mlobs falls behind.")
                .query(promql("sum by (group, topic) (mlobs_consumer_lag)", "{{group}} {{topic}}")),
            Panel::new(Kind::TimeSeries, "Records per second per stage", "reqps")
                .about("Records read from Kafka by stage 1 (join: predictions and labels) and stage 2 (evaluate: partials).")
                .query(promql(rate("stage", "mlobs_records_consumed_total"), "{{stage}}")),
            Panel::new(Kind::TimeSeries, "Dead letters by reason", "reqps")
                .about("Records sent to the dead-letter topic per second, by reason (undecodable, invalid, ...).")
                .query(promql(rate("reason", "mlobs_records_rejected_total"), "{{reason}}")),
            Panel::new(Kind::TimeSeries, "Sink write latency p95", "s")
                .about("95th percentile of a successful batch write, per sink and table.")
                .query(promql(
                    "histogram_quantile(0.95, sum by (sink, table, le) (rate(mlobs_sink_write_duration_seconds_bucket[$__rate_interval])))",
                    "{{sink}} {{table}}",
                )),
            Panel::new(Kind::TimeSeries, "Sink rows and failures", "reqps")
                .about("Rows acknowledged per second, and failed batch writes per second (each retry counts), per sink and table.")
                .query(promql(rate("sink, table", "mlobs_sink_rows_written_total"), "rows {{table}}"))
                .query(promql(rate("sink, table", "mlobs_sink_write_failures_total"), "failures {{table}}")),
            Panel::new(Kind::TimeSeries, "Join state", "short")
                .about("Predictions waiting for their label and labels waiting for their prediction, over all partitions.")
                .query(promql("sum(mlobs_join_pending_predictions)", "predictions waiting"))
                .query(promql("sum(mlobs_join_pending_labels)", "labels waiting")),
            Panel::new(Kind::Stat, "Ready", "short")
                .about("1 when a process answers /readyz with 200 (broker reachable, history writable, partitions owned), per process.")
                .query(promql("mlobs_ready", "{{instance}}")),
            Panel::new(Kind::TimeSeries, "Partitions owned", "short")
                .about("Partitions owned per stage, over all processes: below the topics' partition count while a rebalance runs or an instance that crashed is not yet evicted (session.timeout.ms).")
                .query(promql("sum by (stage) (mlobs_assigned_partitions)", "{{stage}}")),
        ],
        annotations: Vec::new(),
    }
}
