//! `mlobs retrain` on the real stack, on its own: a job that beats the
//! drifted champion is promoted; a worse one stays challenger; a trigger of
//! the agent starts one job and its cool-down holds back the next; a job
//! whose MLflow stops midway changes nothing; privacy mode is refused.

mod support;

use std::time::Duration;

use mlobs_testkit::services::PrivateService;
use mlobs_testkit::{mlflow_url, unique_name, wait_until};
use serde_json::Value;
use support::{counts, services, stop_gracefully, Pipeline, DEADLINE};

/// The history of incident.toml under a name of its own: champion version
/// 2 under input drift from 10:00, every window written to ClickHouse.
fn drifted_history(name: &str) -> (Pipeline, String) {
    let (pipeline, model, _) = Pipeline::on_registry(name, "incident.toml");
    let scenario = pipeline.scenario_for("incident.toml", &model, "retrain", &[]);
    let run = pipeline.start("run", &[]);
    let truth = pipeline.background_truth(pipeline.simulate_registered(&scenario));
    let expected = counts(&truth);
    wait_until(DEADLINE, "every window in ClickHouse", || {
        (pipeline.history_windows().len() == expected.len()).then_some(())
    });
    stop_gracefully(run);
    (pipeline, model)
}

/// The steps of `model`'s jobs whose action is `step`, newest last:
/// (status, result).
fn steps(pipeline: &Pipeline, model: &str, step: &str) -> Vec<(String, String)> {
    pipeline
        .history(&format!(
            "SELECT status, result FROM {{db}}.agent_actions FINAL \
             WHERE model = '{model}' AND action = 'retrain.{step}' ORDER BY updated_ms"
        ))
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap().into(),
                r["result"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn a_better_model_is_promoted_a_worse_one_waits_a_trigger_runs_once_and_a_failed_job_changes_nothing(
) {
    let (mut pipeline, model) = drifted_history("retrain");

    // Trained on the data since the change: it beats version 2 (about 89%
    // under the drift) and is promoted by policy.
    let out = pipeline.succeed(&[
        "retrain",
        "--model",
        &model,
        "--since",
        "2026-01-05T10:00:00Z",
        "--by",
        "test",
    ]);
    println!("{out}");
    assert!(
        out.contains("registered version 3, promoted to champion (was 2)"),
        "{out}"
    );
    let shown = pipeline.succeed(&["model", "show", &model]);
    assert!(shown.starts_with("champion: version 3"), "{shown}");
    let mlflow = |path: String| -> Value {
        let (status, body) =
            services::get(&format!("{}/api/2.0/mlflow/{path}", mlflow_url())).unwrap();
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let version = &mlflow(format!("model-versions/get?name={model}&version=3"))["model_version"];
    let tags = version["tags"].to_string();
    for tag in [
        "mlobs.retrain.parent",
        "mlobs.training_data",
        "mlobs.features",
        "mlobs.baseline.uri",
    ] {
        assert!(tags.contains(tag), "{tag} missing: {tags}");
    }
    // The baseline carries the version's validation outcomes (its holdout
    // predictions with their labels): what CBPE calibrates with first.
    let registry = mlobs_registry::Registry::new(&mlflow_url()).unwrap();
    let registered = registry.version(&model, "3").unwrap();
    let uri = registered
        .tag(mlobs_registry::baseline::URI_TAG)
        .expect("the URI tag");
    let profile = mlobs_operators::baseline::Baseline::from_json(
        &mlobs_registry::baseline::fetch(&registry, uri).unwrap(),
    )
    .unwrap();
    let validation = profile.validation.expect("validation outcomes");
    let outcomes = validation.outcomes.total();
    let holdout = run_metric(&mlflow, version, "holdout_rows");
    assert_eq!(outcomes.labeled as f64, holdout, "one per holdout row");
    let accuracy = outcomes.correct as f64 / outcomes.labeled as f64;
    let holdout_accuracy = run_metric(&mlflow, version, "holdout_accuracy");
    assert!(
        (accuracy - holdout_accuracy).abs() < 1e-9,
        "{accuracy} vs {holdout_accuracy}"
    );
    assert_eq!(validation.positive_class.as_deref(), Some("churn"));
    let run = mlflow(format!(
        "runs/get?run_id={}",
        version["run_id"].as_str().unwrap()
    ));
    let metrics = run["run"]["data"]["metrics"].to_string();
    assert!(
        metrics.contains("holdout_accuracy") && metrics.contains("mcnemar_p_value"),
        "{metrics}"
    );
    let fetched = steps(&pipeline, &model, "fetch");
    assert_eq!(fetched.len(), 1);
    assert!(
        fetched[0]
            .1
            .contains("labeled predictions from 2026-01-05T10:00:00"),
        "{fetched:?}"
    );

    // The hour before the change mixed in (the old unit of
    // monthly_charges): worse than version 3 on the newest rows, so it
    // waits as challenger.
    pipeline.set("MLOBS_RETRAIN_TRAINING_SHARE", "0.9");
    let out = pipeline.succeed(&[
        "retrain",
        "--model",
        &model,
        "--since",
        "2026-01-05T09:00:00Z",
        "--by",
        "test",
    ]);
    println!("{out}");
    assert!(
        out.contains("registered version 4, challenger, awaiting approval"),
        "{out}"
    );
    assert!(out.contains("not better by the margin"), "{out}");
    assert!(
        out.contains("holdout rows (-"),
        "worse than the champion: {out}"
    );
    let shown = pipeline.succeed(&["model", "show", &model]);
    assert!(shown.starts_with("champion: version 3"), "{shown}");
    let promote = steps(&pipeline, &model, "promote");
    assert_eq!(
        promote.last().unwrap().0,
        "awaiting_approval",
        "{promote:?}"
    );

    // A trigger of the agent: the newest windows are below 93%, so one job
    // starts; the cool-down holds back the ones after it.
    let config = pipeline.path("retrain.toml");
    std::fs::write(
        &config,
        format!("[retrain.models.\"{model}\"]\naccuracy_below = 0.93\ncooldown_ms = 3600000\n"),
    )
    .unwrap();
    pipeline.set("MLOBS_CONFIG", config.to_str().unwrap());
    pipeline.set("MLOBS_RETRAIN_TRAINING_SHARE", "0.1");
    let agent = pipeline.agent();
    // The agent watches only this model: one series per outcome.
    let filter = |outcome: &str| format!("outcome=\"{outcome}\"");
    wait_until(
        Duration::from_secs(60),
        "the cool-down to hold back a trigger",
        || {
            pipeline
                .metric("agent", "mlobs_retrain_triggers_total", &filter("cooldown"))
                .filter(|n| *n >= 1.0)
        },
    );
    let started = pipeline.metric("agent", "mlobs_retrain_triggers_total", &filter("started"));
    assert_eq!(started, Some(1.0));
    let triggered = pipeline.history(&format!(
        "SELECT status, result FROM {{db}}.agent_actions FINAL WHERE model = '{model}' \
         AND action = 'retrain' AND requested_by = 'trigger:accuracy'"
    ));
    assert_eq!(triggered.len(), 1, "{triggered:?}");
    assert_eq!(triggered[0]["status"], "executed", "{triggered:?}");
    stop_gracefully(agent);

    // Its own MLflow, with the same model registered, stopped before the
    // job: the data is read, the dataset step fails, and once MLflow is
    // back nothing has moved.
    let mlflow = PrivateService::mlflow();
    let mut elsewhere = Pipeline::new("retrain-elsewhere", 1);
    elsewhere.set("MLOBS_MLFLOW_URL", &mlflow.url());
    let unpaced = (
        "speedup = 180          # 3h of event time in 60 s",
        "speedup = 0",
    );
    let copy = elsewhere.scenario_for("incident.toml", &model, "registered", &[unpaced]);
    elsewhere.succeed(&["simulate", "--register", "--scenario", &copy]);
    mlflow.down();
    pipeline.set("MLOBS_MLFLOW_URL", &mlflow.url());
    let failed = pipeline
        .mlobs(&["retrain", "--model", &model])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("what serves is unchanged"), "{stderr}");
    let dataset = steps(&pipeline, &model, "dataset");
    assert_eq!(dataset.last().unwrap().0, "failed", "{dataset:?}");
    assert_eq!(
        steps(&pipeline, &model, "fetch").last().unwrap().0,
        "executed"
    );
    mlflow.up();
    let shown = pipeline.succeed(&["model", "show", &model]);
    assert!(shown.starts_with("champion: version 2"), "{shown}");
    assert!(!shown.contains("version 3"), "{shown}");
}

#[test]
fn privacy_mode_is_refused_with_what_to_do() {
    let model = unique_name("churn-private");
    let mut pipeline = Pipeline::new("retrain-privacy", 1);
    pipeline.set("MLOBS_PRIVACY_MODE", "hash");
    pipeline.set("MLOBS_PRIVACY_HASH_KEY", "a key of this test");
    let copy = pipeline.scenario_for("drift.toml", &model, "private", &[]);
    let truth = pipeline.simulate(&copy);
    let run = pipeline.start("run", &[]);
    pipeline.wait_for(&truth, DEADLINE);
    wait_until(DEADLINE, "labeled predictions in ClickHouse", || {
        let rows = pipeline.history_number(&format!(
            "SELECT count() FROM {{db}}.outcomes WHERE model = '{model}'"
        ));
        (rows > 0.0).then_some(())
    });
    stop_gracefully(run);
    let refused = pipeline
        .mlobs(&["retrain", "--model", &model])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("keep only a hash of their features"),
        "{stderr}"
    );
    assert!(stderr.contains("mode = \"raw\""), "{stderr}");
}

/// Metric `name` of the run that registered `version`.
fn run_metric(mlflow: &dyn Fn(String) -> Value, version: &Value, name: &str) -> f64 {
    let run = mlflow(format!(
        "runs/get?run_id={}",
        version["run_id"].as_str().unwrap()
    ));
    run["run"]["data"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == name)
        .and_then(|m| m["value"].as_f64())
        .unwrap_or_else(|| panic!("metric {name} in {run}"))
}
