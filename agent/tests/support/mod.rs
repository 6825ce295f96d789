//! The scenario the tools' tests share: two versions of a model, the
//! second worse and failing with GPU OOM on one plan; a second model
//! sharing a feature name; drift verdicts; an alert; windows with CBPE's
//! estimate. Written as
//! JSONEachRow rows the way the pipeline writes them, into a fresh
//! database that is dropped at the end.

#![allow(dead_code)] // each test file uses part of this

use mlobs_agent::tools::Tools;
use mlobs_pipeline::sinks::clickhouse::migrate::migrate;
use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_pipeline::Config;
use mlobs_testkit::unique_name;
use serde_json::{json, Value};

/// The scenario's "now"; the traffic spans the 40 minutes before it.
pub const NOW: i64 = 1_750_000_000_000;
pub const ROWS: i64 = 2_000;

pub struct Database(pub ClickHouse);

impl Drop for Database {
    fn drop(&mut self) {
        let _ = self
            .0
            .execute(&format!("DROP DATABASE IF EXISTS {}", self.0.database()));
    }
}

/// One generated prediction and its truth.
pub struct Row {
    pub version: &'static str,
    pub i: i64,
    pub ms: i64,
    pub gold: bool,
    pub failed: bool,
    pub correct: bool,
    pub latency: f64,
}

pub fn scenario() -> Vec<Row> {
    let mut rows = Vec::new();
    for version in ["1", "2"] {
        for i in 0..ROWS {
            let gold = i % 4 == 0;
            let v2 = version == "2";
            rows.push(Row {
                version,
                i,
                ms: NOW - 40 * 60_000 + i * 1_200,
                gold,
                // v2 fails on half of the gold plan's requests.
                failed: v2 && gold && i % 8 == 0,
                // v1 95% right, v2 88%.
                correct: if v2 { i % 25 < 22 } else { i % 20 != 0 },
                latency: if v2 {
                    20.0 + (i % 10) as f64 * 2.0
                } else {
                    10.0 + (i % 10) as f64
                },
            });
        }
    }
    rows
}

pub fn insert(db: &ClickHouse, table: &str, rows: &[Value]) {
    for chunk in rows.chunks(500) {
        let body: Vec<String> = chunk.iter().map(Value::to_string).collect();
        db.execute(&format!(
            "INSERT INTO {}.{table} FORMAT JSONEachRow\n{}",
            db.database(),
            body.join("\n")
        ))
        .expect("insert");
    }
}

/// [`setup_named`] for "churn".
pub fn setup() -> (Database, Tools, Vec<Row>) {
    setup_named("churn")
}

/// A fresh migrated database holding the scenario for `model` (and a
/// `fraud` model sharing the feature "tenure"), and tools over it at [`NOW`].
pub fn setup_named(model: &str) -> (Database, Tools, Vec<Row>) {
    let mut config = Config::load(None).expect("the mlobs config").clickhouse;
    config.database = unique_name("agent_tools").replace('-', "_");
    let ch = ClickHouse::from_config(&config)
        .expect("config")
        .expect("clickhouse.url is set");
    migrate(&ch).expect("the schema applies (is ClickHouse up? make up)");
    let rows = scenario();
    let mut logs = Vec::new();
    let mut outcomes = Vec::new();
    for r in &rows {
        let id = format!("{model}-{}-{}", r.version, r.i);
        let mut missing = vec![];
        let mut numeric = vec!["tenure"];
        if r.i % 10 == 0 {
            missing.push("age");
        } else {
            numeric.push("age");
        }
        let values: Vec<f64> = numeric
            .iter()
            .map(|f| {
                if *f == "tenure" {
                    (r.i % 100) as f64
                } else {
                    30.0
                }
            })
            .collect();
        logs.push(json!({
            "prediction_id": id, "model": model, "version": r.version, "environment": "production",
            "event_time": r.ms / 1000, "event_time_ms": r.ms,
            "numeric_feature_names": numeric, "numeric_feature_values": values,
            "categorical_feature_names": ["plan"], "categorical_feature_values": [if r.gold { "gold" } else { "basic" }],
            "missing_features": missing, "prediction": "yes", "confidence": 0.5 + (r.i % 50) as f64 / 100.0,
            "latency_ms": r.latency,
            "error_type": if r.failed { Some("gpu_oom") } else { None },
            "gpu_memory_mb": if r.version == "2" { 8000.0 } else { 4000.0 },
        }));
        if !r.failed {
            outcomes.push(json!({
                "prediction_id": id, "model": model, "version": r.version, "environment": "production",
                "prediction": "yes", "label": if r.correct { "yes" } else { "no" }, "correct": u8::from(r.correct),
                "prediction_time": r.ms / 1000, "prediction_time_ms": r.ms,
                "label_time": r.ms / 1000 + 60, "label_time_ms": r.ms + 60_000,
            }));
        }
    }
    // A second model that also has "tenure".
    logs.push(json!({
        "prediction_id": "fraud-1", "model": "fraud", "version": "1", "event_time": NOW / 1000 - 60,
        "event_time_ms": NOW - 60_000, "numeric_feature_names": ["tenure"], "numeric_feature_values": [3.0],
        "prediction": "no", "latency_ms": 1.0,
    }));
    insert(&ch, "inference_log", &logs);
    insert(&ch, "outcomes", &outcomes);
    let window = |start: i64, feature: &str, drifted: bool| {
        json!({"model": model, "version": "2", "window_start": start / 1000, "window_start_ms": start,
               "feature": feature, "kind": "numeric", "method": "wasserstein", "score": if drifted { 0.4 } else { 0.01 },
               "threshold": 0.1, "drifted": u8::from(drifted), "status": if drifted { "drifted" } else { "ok" },
               "current_count": 100, "current_missing": 0, "updated_ms": start})
    };
    let (old, new) = (NOW - 20 * 60_000, NOW - 10 * 60_000);
    insert(
        &ch,
        "feature_drift",
        &[
            window(old, "tenure", false),
            window(old, "age", false),
            window(old, "plan", false),
            window(new, "tenure", true),
            window(new, "age", true),
            window(new, "plan", false),
        ],
    );
    insert(
        &ch,
        "alerts",
        &[json!({
            "alert_id": "a1", "rule": "accuracy_slo", "severity": "critical", "status": "firing", "model": model,
            "version": "2", "summary": "accuracy below SLO", "metric": "accuracy", "value": 0.88, "threshold": 0.95,
            "window_start": old / 1000, "window_end": new / 1000, "started_at": new / 1000, "updated_at": new / 1000,
            "updated_ms": new,
        })],
    );
    insert(&ch, "window_metrics", &estimate_windows(model, &rows));
    let tools = Tools::new(ch.clone(), None).at(NOW);
    (Database(ch), tools, rows)
}

/// Stage 2's windows of the scenario (10 minutes, aligned to the epoch as
/// the pipeline cuts them) with CBPE's estimate: 95% for both versions,
/// band 93-97%. Version 1's labels (95% right) agree; version 2's (88%)
/// fall below the band.
pub fn estimate_windows(model: &str, rows: &[Row]) -> Vec<Value> {
    const WINDOW: i64 = 600_000;
    let mut counts: std::collections::BTreeMap<(&str, i64), u64> = Default::default();
    for r in rows {
        *counts
            .entry((r.version, r.ms.div_euclid(WINDOW) * WINDOW))
            .or_default() += 1;
    }
    counts
        .iter()
        .map(|(&(version, start), &n)| {
            json!({
                "model": model, "version": version, "environment": "production",
                "window_start": start / 1000, "window_end": (start + WINDOW) / 1000,
                "window_start_ms": start, "predictions": n, "accuracy_estimated": 0.95,
                "accuracy_estimated_lower": 0.93, "accuracy_estimated_upper": 0.97,
                "calibration_source": "validation", "calibration_ece": 0.01, "updated_ms": 1,
            })
        })
        .collect()
}

pub fn percentile_exact(mut v: Vec<f64>, q: f64) -> f64 {
    // ClickHouse's quantileExact: the element at floor(q * n) of the sorted values.
    v.sort_by(f64::total_cmp);
    v[((q * v.len() as f64) as usize).min(v.len() - 1)]
}
