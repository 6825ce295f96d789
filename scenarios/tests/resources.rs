//! Resource usage of the simulated servers, and the `resource_contention`
//! fault that raises GPU utilisation, CPU time and latency together (the
//! seed's "correlate with GPU/CPU utilization").

mod common;

use common::{play, small};
use mlobs_scenarios::Scenario;
use mlobs_schemas::time::parse_rfc3339;
use mlobs_schemas::PredictionEvent;

const MINUTE: i64 = 60_000;

/// (median latency, median CPU time, mean GPU utilisation) of the
/// predictions of version `version` in minutes `[from, until)`.
fn usage(
    predictions: &[&PredictionEvent],
    version: &str,
    from: i64,
    until: i64,
) -> (f64, f64, f64) {
    let start = parse_rfc3339("2026-03-01T00:00:00Z").unwrap();
    let span = (start + from * MINUTE)..(start + until * MINUTE);
    let chosen: Vec<&&PredictionEvent> = predictions
        .iter()
        .filter(|p| span.contains(&p.event_time) && p.version == version)
        .collect();
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let resources = |p: &&&PredictionEvent| {
        p.resources
            .clone()
            .expect("every prediction reports its resources")
    };
    let latency = median(chosen.iter().map(|p| p.latency_ms).collect());
    let cpu = median(
        chosen
            .iter()
            .map(|p| resources(p).cpu_time_ms.unwrap())
            .collect(),
    );
    let gpu = chosen
        .iter()
        .map(|p| resources(p).gpu_utilization.unwrap())
        .sum::<f64>()
        / chosen.len() as f64;
    (latency, cpu, gpu)
}

#[test]
fn resource_contention_raises_latency_cpu_time_and_gpu_utilization_together() {
    let fault = r#"
[[faults]]
kind = "resource_contention"
factor = 4
gpu_utilization = 0.98
from = "10m"
until = "15m"
version = "a"
"#;
    let (memory, _) = play(Scenario::from_toml(&small(fault)).unwrap(), MINUTE);
    let predictions: Vec<&PredictionEvent> = memory.predictions().collect();
    let (latency, cpu, gpu) = usage(&predictions, "a", 0, 10);
    let (hot_latency, hot_cpu, hot_gpu) = usage(&predictions, "a", 10, 15);
    let (other_latency, _, other_gpu) = usage(&predictions, "b", 10, 15);
    let (after_latency, _, after_gpu) = usage(&predictions, "a", 15, 20);

    assert!(
        (3.0..5.5).contains(&(hot_latency / latency)),
        "latency x{}",
        hot_latency / latency
    );
    assert!(
        (3.0..5.5).contains(&(hot_cpu / cpu)),
        "cpu time x{}",
        hot_cpu / cpu
    );
    assert!((hot_gpu - 0.98).abs() < 1e-9, "gpu {hot_gpu}");
    assert!(
        gpu < 0.5 && after_gpu < 0.5 && other_gpu < 0.5,
        "busy only in the fault"
    );
    assert!(
        (0.7..1.4).contains(&(other_latency / latency)),
        "version b untouched"
    );
    assert!(
        (0.7..1.4).contains(&(after_latency / latency)),
        "over at 15m"
    );
}
