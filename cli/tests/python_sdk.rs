//! The Python SDK into `mlobs run`: 10,000 predictions of a
//! classifier and a regression model (some features missing, failed
//! inferences, a tenth in privacy mode) and their labels, logged through
//! `mlobs.PredictionLogger` and `mlobs.LabelLogger` as a model server
//! would. The window results equal what was sent, exactly, and the
//! dead-letter topic stays empty.

mod support;

use std::path::Path;
use std::process::Command;

use mlobs_schemas::PredictionEvent;
use mlobs_testkit::{payload, sdk_python, wait_until};
use serde_json::Value;
use support::{stop_gracefully, Pipeline, DEADLINE};

/// Runs `sdk/python/tests/<script>` with the SDK's interpreter; its stdout.
fn sdk_script(script: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sdk/python/tests")
        .join(script);
    let output = Command::new(sdk_python())
        .arg(path)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn ten_thousand_predictions_from_python_are_counted_exactly() {
    let pipeline = Pipeline::new("python-sdk", 2);
    let truth_path = pipeline.dir.join("truth.json");
    let stdout = sdk_script(
        "send_workload.py",
        &[
            &pipeline.brokers(),
            &pipeline.topic("predictions"),
            &pipeline.topic("labels"),
            "10000",
            "300000",
            truth_path.to_str().unwrap(),
        ],
        &[("MLOBS_PRIVACY_HASH_KEY", "the operator's secret")],
    );
    let stats: Value = serde_json::from_str(&stdout).unwrap();
    let sent = |logger: &str| stats[logger]["delivered"].as_u64().unwrap();
    for logger in ["plain", "private", "labels"] {
        let s = &stats[logger];
        assert_eq!(
            (s["dropped"].as_u64(), s["failed"].as_u64()),
            (Some(0), Some(0)),
            "{stats}"
        );
        assert_eq!(s["queued"], s["delivered"], "{stats}");
    }
    assert_eq!(sent("plain") + sent("private"), 10_000, "{stats}");
    assert_eq!(sent("private"), 1_000);

    // The pipeline starts once everything is sent, as in the other exact
    // tests (see docs/architecture.md, "Python SDK").
    let run = pipeline.start("run", &[]);
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(&truth_path).unwrap()).unwrap();
    let windows = pipeline.wait_for(&truth, DEADLINE);
    assert_eq!(
        pipeline.records_in("dlq"),
        0,
        "nothing went to the dead-letter topic"
    );
    // Both models, failed inferences among the windows' errors.
    let models: std::collections::BTreeSet<&str> = windows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["model"].as_str())
        .collect();
    assert_eq!(models, ["churn", "ltv"].into());
    let failed: i64 = windows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["errors"]["gpu_oom"].as_i64())
        .sum();
    assert_eq!(failed, 104, "every 97th of 10,000 inferences failed");
    // Privacy mode: a tenth of the records carry only the features' hash.
    let schemas = mlobs_schemas::WriterSchemas::builtin();
    let records = pipeline.consume("predictions", 10_000);
    let hashed: Vec<PredictionEvent> = records
        .iter()
        .map(|m| schemas.decode::<PredictionEvent>(payload(m)).unwrap())
        .filter(|p| p.features_hash.is_some())
        .collect();
    assert_eq!(hashed.len(), 1_000);
    assert!(hashed
        .iter()
        .all(|p| p.features.is_empty() && p.features_hash.as_ref().unwrap().len() == 64));
    stop_gracefully(run);
}

#[test]
fn the_fastapi_example_logs_every_prediction_and_its_feedback() {
    let pipeline = Pipeline::new("python-fastapi", 2);
    sdk_script(
        "drive_example.py",
        &["300"],
        &[
            ("MLOBS_KAFKA_BROKERS", &pipeline.brokers()),
            (
                "MLOBS_KAFKA_TOPICS_PREDICTIONS",
                &pipeline.topic("predictions"),
            ),
            ("MLOBS_KAFKA_TOPICS_LABELS", &pipeline.topic("labels")),
        ],
    );
    let run = pipeline.start("run", &[]);
    wait_until(
        DEADLINE,
        "300 predictions and 300 labels in the windows",
        || {
            let windows = pipeline.windows();
            let total = |key: &str| -> u64 {
                windows
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|w| w[key].as_u64())
                    .sum()
            };
            (total("predictions") == 300 && total("labeled") == 300).then_some(())
        },
    );
    assert_eq!(pipeline.records_in("dlq"), 0);
    stop_gracefully(run);
}
