//! The history's rows against the real local ClickHouse (18.16): what the
//! writer sends as RowBinary reads back exactly as the same rows sent as
//! JSONEachRow (the format before the clickhouse crate, which ClickHouse
//! converts by column name), for every table and every column type; and a
//! table whose column was changed by hand gets its rows as JSONEachRow, so
//! the rows that no longer fit become dead letters instead of garbage.

use std::sync::Arc;

use mlobs_operators::stage1::JoinedOutcome;
use mlobs_pipeline::health::Health;
use mlobs_pipeline::shutdown::Shutdown;
use mlobs_pipeline::sinks::clickhouse::columns::Encoding;
use mlobs_pipeline::sinks::clickhouse::migrate::migrate;
use mlobs_pipeline::sinks::clickhouse::rows::{Emitted, EmittedDrift, Source};
use mlobs_pipeline::sinks::clickhouse::writer::{HistoryWriter, WriterEnv};
use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_pipeline::sinks::Metrics;
use mlobs_pipeline::Config;
use mlobs_schemas::{
    AlertEvent, AlertEvidence, AlertStatus, FeatureDriftResult, FeatureValue, Outcome,
    PredictionError, PredictionEvent, ResourceUsage, Severity, WindowMetrics,
};
use mlobs_testkit::unique_name;
use mlobs_testkit::workload::{stream, T0};

/// A client for a fresh database of this test's (migrated), dropped on drop.
struct Database(ClickHouse);

impl Database {
    fn new(name: &str) -> Database {
        let mut config = Config::load(None).expect("the mlobs config").clickhouse;
        config.database = unique_name(name).replace('-', "_");
        let clickhouse = ClickHouse::from_config(&config)
            .expect("a usable clickhouse config")
            .expect("clickhouse.url is set");
        migrate(&clickhouse).expect("the schema applies (is ClickHouse up? make up)");
        Database(clickhouse)
    }

    fn writer(&self) -> HistoryWriter {
        let env = WriterEnv {
            shutdown: Shutdown::default(),
            metrics: Arc::new(Metrics::default()),
            health: Arc::new(Health::new(&[], true)),
        };
        HistoryWriter::new(self.0.clone(), 1_000, env)
    }

    /// Every row of `table`, one TabSeparated line each, sorted.
    fn dump(&self, table: &str) -> Vec<String> {
        let sql = format!("SELECT * FROM {}.{table}", self.0.database());
        let text = self.0.tab_separated(&sql).expect("reading back");
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        lines.sort();
        lines
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = self
            .0
            .execute(&format!("DROP DATABASE IF EXISTS {}", self.0.database()));
    }
}

/// Hands `sources` to the writer, and inserts the same rows as JSONEachRow
/// into `json`.
fn both<S: Source + Clone>(writer: &mut HistoryWriter, json: &ClickHouse, sources: &[S]) {
    let mut rows = Vec::new();
    for source in sources {
        source.rows(&mut rows);
    }
    json.insert::<S::Row>(S::TABLE, &rows, Encoding::JsonEachRow)
        .expect("the JSONEachRow insert");
    for source in sources {
        writer.add(source.clone());
    }
}

/// Predictions with every optional field set, a regression, a failure,
/// and the benchmarks' 25-feature traffic.
fn predictions() -> Vec<PredictionEvent> {
    let (mut all, _) = stream(50);
    let mut full = all[0].clone();
    full.prediction_id = "full".into();
    full.features.insert("missing".into(), None);
    full.features
        .insert("nan".into(), Some(FeatureValue::Numeric(f64::NAN)));
    full.features_hash = Some("ab12".into());
    full.class_probabilities = Some([("yes".to_string(), 0.25), ("no".to_string(), 0.75)].into());
    full.resources = Some(ResourceUsage {
        cpu_time_ms: Some(1.5),
        gpu_memory_mb: Some(2048.0),
        gpu_utilization: None,
    });
    full.request_id = Some("req-1".into());
    full.trace_id = Some("trace \"quoted\"\ttab\nline".into());
    let mut regression = all[1].clone();
    regression.prediction_id = "regression".into();
    regression.prediction = Outcome::Value(-3.25e-7);
    let mut failed = all[2].clone();
    failed.prediction_id = "failed".into();
    failed.error = Some(PredictionError {
        error_type: "gpu_oom".into(),
        message: "out of memory: ünïcödé".into(),
    });
    all.extend([full, regression, failed]);
    all
}

fn outcomes() -> Vec<JoinedOutcome> {
    let outcome = |id: &str, prediction, label| JoinedOutcome {
        prediction_id: id.into(),
        model: "churn".into(),
        version: "2".into(),
        environment: "production".into(),
        prediction,
        label,
        prediction_time: T0 + 999,
        label_time: T0 + 30_001,
    };
    vec![
        outcome(
            "right",
            Outcome::Class("yes".into()),
            Outcome::Class("yes".into()),
        ),
        outcome(
            "wrong",
            Outcome::Class("yes".into()),
            Outcome::Class("no".into()),
        ),
        outcome("number", Outcome::Value(2.5), Outcome::Value(4.0)),
        outcome("mixed", Outcome::Class("yes".into()), Outcome::Value(1.0)),
    ]
}

fn windows() -> Vec<Emitted> {
    let drift = |feature: &str, score| FeatureDriftResult {
        feature: feature.into(),
        kind: "numeric".into(),
        method: "wasserstein".into(),
        score,
        threshold: 0.1,
        drift_detected: score.is_some_and(|s| s >= 0.1),
        status: if score.is_some_and(|s| s >= 0.1) {
            "drifted".into()
        } else {
            "ok".into()
        },
        ks_statistic: Some(0.11),
        ks_p_value: Some(1e-9),
        wasserstein: Some(0.4),
        wasserstein_normalized: score,
        psi: None,
        jensen_shannon: Some(0.05),
        chi2_statistic: None,
        chi2_p_value: None,
        current_count: 1_000,
        current_missing: 3,
        current_unseen: 7,
    };
    let window = WindowMetrics {
        model: "churn".into(),
        version: "2".into(),
        environment: "production".into(),
        window_start: T0,
        window_end: T0 + 600_000,
        complete: true,
        sources_with_data: 3,
        sources_expected: 4,
        predictions: 1_200,
        labeled: 1_100,
        correct: 1_000,
        unlabeled: 100,
        accuracy: Some(1_000.0 / 1_100.0),
        errors: [("timeout".to_string(), 4), ("gpu_oom".to_string(), 1)].into(),
        latency_p50_ms: Some(18.1),
        latency_p95_ms: Some(31.0),
        latency_p99_ms: None,
        confidence_mean: Some(0.83),
        confidence_histogram: (0..20).collect(),
        mae: None,
        rmse: None,
        cpu_time_ms_mean: Some(2.0),
        gpu_memory_mb_mean: None,
        gpu_utilization_mean: Some(0.5),
        dataset_drift: true,
        share_drifted: 0.5,
        drift: vec![drift("monthly_charges", Some(0.23)), drift("tenure", None)],
        accuracy_estimated: Some(0.91),
        accuracy_estimated_lower: Some(0.885),
        accuracy_estimated_upper: Some(0.935),
        precision_estimated: Some(0.8),
        recall_estimated: None,
        f1_estimated: Some(0.75),
        calibration_source: "validation".into(),
        calibration_ece: Some(0.012),
        ..WindowMetrics::default()
    };
    let mut later = window.clone();
    later.window_start += 600_000;
    later.window_end += 600_000;
    later.complete = false;
    later.drift.clear();
    [window, later]
        .into_iter()
        .map(|w| Emitted {
            window: Arc::new(w),
            updated_ms: T0 + 700_123,
        })
        .collect()
}

/// A firing alert with details, and a resolved one (another id: rows of
/// one id may be merged into one at any time).
fn alerts() -> Vec<AlertEvent> {
    let firing = AlertEvent {
        alert_id: "8a6f8f2109de1cbf978fb7610463bc64".into(),
        rule: "feature_drift".into(),
        severity: Severity::Warning,
        status: AlertStatus::Firing,
        model: "churn".into(),
        version: "2".into(),
        environment: "production".into(),
        summary: "feature monthly_charges drifted (wasserstein 0.9069, threshold 0.1)".into(),
        source: "stream".into(),
        evidence: AlertEvidence {
            metric: "drift_score:monthly_charges".into(),
            value: 0.9069,
            threshold: 0.1,
            window_start: T0,
            window_end: T0 + 600_000,
        },
        started_at: T0 + 600_000,
        updated_at: T0 + 600_000,
        reason: String::new(),
        details: [("feature".to_string(), "monthly \"charges\"".to_string())].into(),
    };
    let mut resolved = firing.clone();
    resolved.alert_id = "9cb1d045b9d07fb9c80b46997727bd40".into();
    resolved.status = AlertStatus::Resolved;
    resolved.reason = "no_traffic".into();
    resolved.updated_at += 1_200_000;
    vec![firing, resolved]
}

#[test]
fn rowbinary_writes_every_table_exactly_as_jsoneachrow_does() {
    let binary = Database::new("rows-binary");
    let json = Database::new("rows-json");
    let mut writer = binary.writer();
    both(&mut writer, &json.0, &predictions());
    both(&mut writer, &json.0, &outcomes());
    both(&mut writer, &json.0, &windows());
    let drift: Vec<EmittedDrift> = windows().into_iter().map(EmittedDrift).collect();
    both(&mut writer, &json.0, &drift);
    both(&mut writer, &json.0, &alerts());
    let refused = writer.flush().expect("the writer's insert");
    assert!(refused.is_empty(), "{refused:?}");
    for (table, rows) in [
        ("inference_log", 53),
        ("outcomes", 4),
        ("window_metrics", 2),
        ("feature_drift", 2),
        ("alerts", 2),
    ] {
        let (written, expected) = (binary.dump(table), json.dump(table));
        assert_eq!(written.len(), rows, "{table}");
        let differ: Vec<(&String, &String)> = written
            .iter()
            .zip(&expected)
            .filter(|(a, b)| !same_row(a, b))
            .collect();
        assert!(
            differ.is_empty(),
            "{table}: RowBinary and JSONEachRow differ: {differ:#?}"
        );
    }
    let event_time = binary
        .0
        .tab_separated(&format!(
            "SELECT toUnixTimestamp(event_time), event_time_ms FROM {}.inference_log WHERE prediction_id = 'full'",
            binary.0.database()
        ))
        .unwrap();
    assert_eq!(event_time.trim(), format!("{}\t{T0}", T0 / 1000));
    // RowBinary carries the f64 bits: every value reads back exactly.
    let full = &predictions()[50];
    let sent: Vec<String> = full
        .features
        .values()
        .filter_map(|v| match v {
            Some(FeatureValue::Numeric(x)) if x.is_finite() => Some(x.to_string()),
            _ => None,
        })
        .collect();
    let stored = binary
        .0
        .tab_separated(&format!(
            "SELECT numeric_feature_values FROM {}.inference_log WHERE prediction_id = 'full'",
            binary.0.database()
        ))
        .unwrap();
    assert_eq!(stored.trim(), format!("[{}]", sent.join(",")));
}

/// Two TabSeparated rows hold the same values. Numbers may differ in their
/// last bit: 18.16's JSONEachRow parser does not always round a decimal to
/// the nearest double (seen: 62.06811631248409 stored as
/// 62.068116312484094), while RowBinary sends the bits themselves.
fn same_row(a: &str, b: &str) -> bool {
    let split =
        |s: &str| -> Vec<String> { s.split(['\t', ',', '[', ']']).map(String::from).collect() };
    let (a, b) = (split(a), split(b));
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            x == y
                || match (x.parse::<f64>(), y.parse::<f64>()) {
                    (Ok(x), Ok(y)) => (x - y).abs() <= 1e-14 * x.abs().max(y.abs()),
                    _ => false,
                }
        })
}

#[test]
fn a_column_changed_by_hand_makes_dead_letters_not_garbage() {
    let database = Database::new("rows-changed");
    let db = database.0.database().to_string();
    database
        .0
        .execute(&format!(
            "ALTER TABLE {db}.inference_log MODIFY COLUMN request_id String"
        ))
        .unwrap();
    let (mut events, _) = stream(3);
    events[0].request_id = Some("kept-0".into());
    events[1].request_id = None;
    events[2].request_id = Some("kept-2".into());
    let mut writer = database.writer();
    for event in events {
        writer.add(event);
    }
    let refused = writer.flush().expect("the flush itself succeeds");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].reason, "sink_rejected");
    assert!(
        refused[0].detail.contains("request_id"),
        "{}",
        refused[0].detail
    );
    let row: serde_json::Value = serde_json::from_slice(&refused[0].payload).unwrap();
    assert_eq!(row["request_id"], serde_json::Value::Null);
    let kept = database
        .0
        .tab_separated(&format!(
            "SELECT request_id, length(numeric_feature_values) FROM {db}.inference_log ORDER BY request_id"
        ))
        .unwrap();
    assert_eq!(kept, "kept-0\t20\nkept-2\t20\n");
}
