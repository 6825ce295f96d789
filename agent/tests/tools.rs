//! The tools against the real local ClickHouse (18.16): a fresh database
//! gets a scenario with known truth (two versions of `churn`, the second
//! worse and failing with GPU OOM on one plan; a second model sharing a
//! feature name; drift verdicts; an alert), written as JSONEachRow rows the
//! way the pipeline writes them, and every answer is checked against the
//! numbers recomputed here from the generated rows.

mod support;

use mlobs_agent::tools::logs::{FeatureIn, FeatureRange, Filters};
use mlobs_agent::tools::ToolError;
use mlobs_operators::baseline::{Baseline, ColumnData};
use support::{percentile_exact, setup, Row, ROWS};

#[test]
fn the_tools_answer_the_scenarios_truth() {
    let (_db, tools, rows) = setup();
    let of = |v: &'static str| rows.iter().filter(move |r| r.version == v);

    // Accuracy per version, recomputed from the truth.
    let acc = tools
        .get_model_accuracy("churn", None, "1h")
        .expect("accuracy");
    for v in ["1", "2"] {
        let labeled: Vec<&Row> = of(v).filter(|r| !r.failed).collect();
        let right = labeled.iter().filter(|r| r.correct).count();
        let got = acc
            .versions
            .iter()
            .find(|x| x.version == v)
            .expect("version");
        assert_eq!(
            (got.labeled, got.correct),
            (labeled.len() as u64, right as u64),
            "v{v}"
        );
        assert_eq!(got.predictions, ROWS as u64);
        assert_eq!(got.label_delay_p50_s, Some(60.0), "every label 60 s late");
    }
    assert_eq!(acc.overall.label_delay_p50_s, Some(60.0));
    let v2 = tools
        .get_model_accuracy("churn", Some("2"), "1h")
        .expect("v2");
    assert_eq!(v2.versions.len(), 1);
    assert!(v2.overall.accuracy.unwrap() < 0.9, "{:?}", v2.overall);
    assert_eq!(v2.range.end, "2025-06-15T15:06:40Z");

    // Bad arguments are errors that say what exists.
    let e = tools.get_model_accuracy("chrun", None, "1h").unwrap_err();
    assert!(
        matches!(&e, ToolError::UnknownModel { known, .. } if known.contains(&"churn".to_string())),
        "{e}"
    );
    let e = tools.get_model_accuracy("churn:7", None, "1h").unwrap_err();
    assert!(e.to_string().contains("versions with history: 1, 2"), "{e}");
    let e = tools
        .get_model_accuracy("churn", None, "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z")
        .unwrap_err();
    assert!(matches!(e, ToolError::EmptyWindow { .. }), "{e}");
    assert!(tools
        .get_model_accuracy("churn@champion", None, "1h")
        .unwrap_err()
        .to_string()
        .contains("mlflow.url"));

    // Versions compared on the same range, with a significant gap.
    let cmp = tools
        .compare_model_versions("churn:1", "churn:2", None)
        .expect("compare");
    assert_eq!(cmp.a.predictions, ROWS as u64);
    assert_eq!(cmp.b.errors, of("2").filter(|r| r.failed).count() as u64);
    let accuracy = &cmp.tests[0];
    assert!(
        accuracy.significant && accuracy.difference.unwrap() > 0.05,
        "{accuracy:?}"
    );

    // Latency percentiles and errors by type.
    let lat = tools
        .get_latency_and_errors("churn", "1h", Some("10m"))
        .expect("latency");
    for v in ["1", "2"] {
        let t = lat.totals.iter().find(|x| x.version == v).unwrap();
        let latencies: Vec<f64> = of(v).map(|r| r.latency).collect();
        assert_eq!(
            t.p50_ms,
            Some(percentile_exact(latencies.clone(), 0.5)),
            "v{v}"
        );
        assert_eq!(t.p99_ms, Some(percentile_exact(latencies, 0.99)), "v{v}");
        assert_eq!(
            t.errors_by_type.get("gpu_oom").copied().unwrap_or(0),
            of(v).filter(|r| r.failed).count() as u64
        );
    }
    assert_eq!(
        lat.buckets.iter().map(|b| b.predictions).sum::<u64>(),
        2 * ROWS as u64
    );

    // Error slices: the gold plan, with its lift.
    let slices = tools
        .find_error_slices("churn:2", "1h", None, None)
        .expect("slices");
    let top = &slices.slices[0];
    assert_eq!(
        (top.feature.as_str(), top.condition.as_str()),
        ("plan", "= gold")
    );
    let gold = of("2").filter(|r| r.gold).count() as f64;
    let failed = of("2").filter(|r| r.failed).count() as f64;
    assert!(
        (top.lift - (failed / gold) / (failed / ROWS as f64)).abs() < 1e-9,
        "{top:?}"
    );
    let wrong = tools
        .find_error_slices("churn:2", "1h", Some("incorrect"), Some(0.0))
        .expect("incorrect");
    assert_eq!(
        wrong.bad,
        of("2").filter(|r| !r.failed && !r.correct).count() as u64
    );

    // Logs: filters by error type, category, correctness and confidence.
    let logs = tools
        .query_inference_logs(
            "churn",
            Some("2"),
            &Filters {
                error_type: Some("any".into()),
                limit: Some(5),
                ..Filters::default()
            },
        )
        .expect("logs");
    assert_eq!(logs.matched, failed as u64);
    assert_eq!(logs.sample.len(), 5);
    assert!(logs
        .sample
        .iter()
        .all(|s| s.error_type.as_deref() == Some("gpu_oom") && s.categorical["plan"] == "gold"));
    let filters = Filters {
        correct: Some(false),
        min_confidence: Some(0.9),
        time_window: Some("1h".into()),
        ..Filters::default()
    };
    let logs = tools
        .query_inference_logs("churn:1", None, &filters)
        .expect("wrong ones");
    let expected = of("1")
        .filter(|r| !r.correct && 0.5 + (r.i % 50) as f64 / 100.0 >= 0.9)
        .count();
    assert_eq!(logs.matched, expected as u64);
    assert!(logs.sample.iter().all(|s| s.correct == Some(false)));

    // Feature ranges and categories.
    let filters = Filters {
        ranges: vec![FeatureRange {
            feature: "tenure".into(),
            min: Some(10.0),
            max: Some(19.0),
        }],
        categories: vec![FeatureIn {
            feature: "plan".into(),
            values: vec!["gold".into()],
        }],
        ..Filters::default()
    };
    let logs = tools
        .query_inference_logs("churn", Some("2"), &filters)
        .expect("a slice");
    let expected = of("2")
        .filter(|r| r.gold && (10..=19).contains(&(r.i % 100)))
        .count();
    assert_eq!(logs.matched, expected as u64);
    assert!(logs
        .sample
        .iter()
        .all(|s| (10.0..=19.0).contains(&s.numeric["tenure"])));

    // Drift: the latest window, 2 of 3 features drifted.
    let drift = tools.detect_data_drift("churn", None).expect("drift");
    let d = &drift.versions[0];
    assert_eq!((d.version.as_str(), d.monitored, d.drifted), ("2", 3, 2));
    assert!(drift.dataset_drift);
    assert!(
        !tools
            .detect_data_drift("churn", Some(0.7))
            .unwrap()
            .dataset_drift
    );
    assert!(matches!(
        tools.detect_data_drift("fraud", None),
        Err(ToolError::EmptyWindow { .. })
    ));

    // Resources: per-version GPU memory.
    let usage = tools
        .get_resource_usage("churn", "1h", Some("5m"))
        .expect("usage");
    assert!(usage
        .buckets
        .iter()
        .all(|b| b.gpu_memory_mb_mean == Some(if b.version == "2" { 8000.0 } else { 4000.0 })));

    // Alerts.
    let alerts = tools
        .list_alerts(Some("churn"), Some("firing"), "1h")
        .expect("alerts");
    assert_eq!(alerts.alerts.len(), 1);
    assert_eq!(
        (alerts.alerts[0].value, alerts.alerts[0].threshold),
        (0.88, 0.95)
    );
    assert!(tools
        .list_alerts(Some("fraud"), None, "1h")
        .unwrap()
        .alerts
        .is_empty());
    assert!(serde_json::to_string(&alerts)
        .unwrap()
        .contains("\"range\""));
}

#[test]
fn feature_distributions_compare_current_with_the_baseline() {
    let (_db, tools, rows) = setup();
    // "tenure" is in churn and fraud: the error lists both.
    match tools.get_feature_distribution("tenure", "1h", None) {
        Err(ToolError::AmbiguousFeature { models, .. }) => {
            assert_eq!(models, vec!["churn", "fraud"])
        }
        other => panic!("expected an ambiguity, got {other:?}"),
    }
    let e = tools
        .get_feature_distribution("tenur", "1h", Some("churn"))
        .unwrap_err();
    assert!(
        e.to_string().contains("known features: age, plan, tenure"),
        "{e}"
    );

    let d = tools
        .get_feature_distribution("tenure", "1h", Some("churn"))
        .expect("tenure");
    let values: Vec<f64> = rows.iter().map(|r| (r.i % 100) as f64).collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    assert_eq!(d.kind, "numeric");
    assert!((d.current.mean.unwrap() - mean).abs() < 1e-9);
    assert_eq!(
        d.current.percentiles["p50"],
        percentile_exact(values.clone(), 0.5)
    );
    assert_eq!(d.current.percentiles["p5"], percentile_exact(values, 0.05));
    assert!(d.baseline.is_none(), "no baseline given, no MLflow");

    // "age" is missing in one row of ten.
    let d = tools
        .get_feature_distribution("age", "1h", Some("churn:1"))
        .expect("age");
    assert!(
        (d.current.missing_rate - 0.1).abs() < 1e-12,
        "{:?}",
        d.current
    );

    // A baseline that never saw "gold": it is an unseen value.
    let baseline = Baseline::build(&[(
        "plan".to_string(),
        ColumnData::Categorical([Some("basic"), Some("basic"), None].into_iter().collect()),
    )]);
    let tools = tools.with_baseline("churn", baseline);
    let d = tools
        .get_feature_distribution("plan", "1h", Some("churn"))
        .expect("plan");
    let gold = rows.iter().filter(|r| r.gold).count() as u64;
    assert_eq!(d.unseen_values, vec![("gold".to_string(), gold)]);
    assert_eq!(d.current.top_categories[0].0, "basic");
    let base = d.baseline.expect("the baseline side");
    assert!((base.missing_rate - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(d.baseline_source.as_deref(), Some("baselines.dir"));
}

#[test]
fn the_estimate_sits_beside_the_labels_of_the_same_predictions() {
    let (_db, tools, rows) = setup();
    let windows = support::estimate_windows("churn", &rows);
    let answer = tools
        .estimate_performance("churn", None, "1h")
        .expect("estimate");
    assert_eq!(answer.versions.len(), 2);
    for v in &answer.versions {
        let of_version: Vec<&Row> = rows.iter().filter(|r| r.version == v.version).collect();
        let labeled: Vec<&&Row> = of_version.iter().filter(|r| !r.failed).collect();
        let right = labeled.iter().filter(|r| r.correct).count();
        assert_eq!(v.predictions, of_version.len() as u64);
        assert!((v.accuracy_estimated - 0.95).abs() < 1e-9, "{v:?}");
        assert!(
            v.accuracy_estimated_upper < 0.96,
            "windows together: a narrower band"
        );
        assert_eq!(v.labeled, labeled.len() as u64);
        let realized = right as f64 / labeled.len() as f64;
        assert!((v.accuracy_realized.unwrap() - realized).abs() < 1e-12);
        let of_version = windows
            .iter()
            .filter(|w| w["version"] == v.version.as_str());
        assert_eq!(v.windows.len(), of_version.count());
        assert_eq!(v.calibration_source, "validation");
        assert_eq!(v.labels_agree, Some(v.version == "1"), "{v:?}");
    }
    let e = tools
        .estimate_performance("churn", None, "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z")
        .unwrap_err();
    assert!(e.to_string().contains("estimated accuracy"), "{e}");
}
