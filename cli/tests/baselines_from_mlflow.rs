//! The pipeline takes each version's baseline from MLflow (real Kafka,
//! ClickHouse and MLflow): drift as with a folder, from the disk cache when
//! MLflow is down, a version registered while it runs picked up within
//! `mlflow.refresh_ms`, and a version without baseline reported.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use mlobs_registry::{baseline, Registry};
use mlobs_testkit::{mlflow_url, unique_name, wait_until};
use support::verdicts::assert_drift_scenario_verdicts;
use support::{services, stop_gracefully, Pipeline, DEADLINE};

/// How often the pipelines of these tests ask MLflow.
const REFRESH_MS: u64 = 1_500;

/// A pipeline that takes the baselines of `model` from MLflow at `url`,
/// caching them in `cache`.
fn pipeline_on_mlflow(name: &str, model: &str, url: &str, cache: &Path) -> Pipeline {
    let mut pipeline = Pipeline::new(name, 3);
    pipeline.set("MLOBS_BASELINES_SOURCE", "mlflow");
    pipeline.set("MLOBS_MLFLOW_URL", url);
    pipeline.set("MLOBS_MLFLOW_MODELS", model);
    pipeline.set("MLOBS_MLFLOW_CACHE_DIR", cache.to_str().unwrap());
    pipeline.set("MLOBS_MLFLOW_REFRESH_MS", &REFRESH_MS.to_string());
    pipeline
}

/// Registers `model` (when new) and its `version`, with the baseline the
/// simulator wrote for it into `pipeline`'s folder.
fn register_with_baseline(pipeline: &Pipeline, model: &str, version: &str) {
    let registry = Registry::new(&mlflow_url()).unwrap();
    if registry.model(model).is_err() {
        registry.create_model(model).unwrap();
    }
    let experiment = registry.experiment("mlobs-registry-tests").unwrap();
    let run = registry.create_run(&experiment, model, 0, &[]).unwrap();
    let created = registry
        .create_version(model, &format!("runs:/{}/model", run.run_id), &run.run_id)
        .unwrap();
    assert_eq!(created.version, version, "versions are registered in order");
    let file = pipeline
        .dir
        .join("baselines")
        .join(model)
        .join(format!("{version}.json"));
    let profile = std::fs::read_to_string(&file).expect("the simulator wrote the baseline");
    let summary = baseline::Summary {
        rows: 1,
        features: 4,
        format_version: 1,
    };
    baseline::publish(&registry, model, version, &profile, summary, 0).unwrap();
}

/// `/readyz` of instance `name`: (status, body).
fn readyz(pipeline: &Pipeline, name: &str) -> (u16, String) {
    let url = format!("http://{}/readyz", pipeline.metrics_address(name));
    services::get(&url).expect("the endpoint answers")
}

#[test]
fn drift_comes_from_mlflow_and_from_the_cache_when_mlflow_is_down() {
    let model = unique_name("churn-mlflow");
    let cache = std::env::temp_dir().join(unique_name("mlobs-baseline-cache"));
    let model_line = format!("name = \"{model}\"");
    let drift_line = format!("model = \"{model}\"");
    let renamed = [
        ("name = \"churn\"", model_line.as_str()),
        ("model = \"churn\"", drift_line.as_str()),
    ];

    let mut first = pipeline_on_mlflow("mlflow-drift", &model, &mlflow_url(), &cache);
    first.set("MLOBS_WINDOWS_SIZE_MS", "600000");
    let truth = first.simulate(&first.scenario_with("drift.toml", "renamed", &renamed));
    register_with_baseline(&first, &model, "1");
    let run = first.start("run", &[]);
    assert_drift_scenario_verdicts(&first.wait_for(&truth, DEADLINE));
    let (status, body) = readyz(&first, "run");
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("no baseline"), "{body}");
    stop_gracefully(run);

    // Another pipeline, same cache, MLflow unreachable: the cache answers.
    let dead = format!("http://127.0.0.1:{}", mlobs_testkit::services::free_port());
    let mut second = pipeline_on_mlflow("mlflow-cached", &model, &dead, &cache);
    second.set("MLOBS_WINDOWS_SIZE_MS", "600000");
    let truth = second.simulate(&second.scenario_with("drift.toml", "renamed", &renamed));
    let run = second.start("run", &[]);
    assert_drift_scenario_verdicts(&second.wait_for(&truth, DEADLINE));
    stop_gracefully(run);
    let _ = std::fs::remove_dir_all(cache);
}

#[test]
fn a_version_without_baseline_is_reported_until_one_is_registered_while_running() {
    let model = unique_name("churn-late");
    let cache = std::env::temp_dir().join(unique_name("mlobs-baseline-cache"));
    let model_line = format!("name = \"{model}\"");
    let pipeline = pipeline_on_mlflow("mlflow-late", &model, &mlflow_url(), &cache);
    // baseline.toml serves versions 1 and 2; only 1 has a baseline at first.
    let day_one = pipeline.scenario_with(
        "baseline.toml",
        "day1",
        &[("name = \"churn\"", &model_line)],
    );
    let truth = pipeline.simulate(&day_one);
    register_with_baseline(&pipeline, &model, "1");
    let run = pipeline.start("run", &[]);
    pipeline.wait_for(&truth, DEADLINE);

    let missing = |version: &str| {
        let filter = format!("model=\"{model}\",version=\"{version}\"");
        pipeline.metric("run", "mlobs_baseline_missing", &filter)
    };
    wait_until(DEADLINE, "version 2 reported without baseline", || {
        (missing("2") == Some(1.0)).then_some(())
    });
    assert_eq!(missing("1"), Some(0.0), "version 1 has its baseline");
    let (status, body) = readyz(&pipeline, "run");
    assert_eq!(
        status, 200,
        "a missing baseline leaves the process ready: {body}"
    );
    assert!(
        body.contains(&format!("no baseline for model {model} version 2")),
        "{body}"
    );
    let windows = pipeline.windows();
    let v2_drift: usize = windows
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["version"] == "2")
        .map(|w| w["drift"].as_array().unwrap().len())
        .sum();
    assert_eq!(v2_drift, 0, "no baseline, no drift");

    // Registered while the pipeline runs: picked up within refresh_ms.
    register_with_baseline(&pipeline, &model, "2");
    let registered = Instant::now();
    let within = Duration::from_millis(REFRESH_MS) + Duration::from_secs(3);
    wait_until(within, "version 2's baseline within refresh_ms", || {
        (missing("2") == Some(0.0)).then_some(())
    });
    assert!(registered.elapsed() <= within);
    let (_, body) = readyz(&pipeline, "run");
    assert!(!body.contains("no baseline"), "{body}");

    // A day later, version 2's windows are tested against it.
    let day_two = pipeline.scenario_with(
        "baseline.toml",
        "day2",
        &[
            ("name = \"churn\"", &model_line),
            (
                "start = \"2026-01-05T09:00:00Z\"",
                "start = \"2026-01-06T09:00:00Z\"",
            ),
        ],
    );
    pipeline.simulate(&day_two);
    wait_until(DEADLINE, "drift results for version 2 on day two", || {
        let windows = pipeline.windows();
        let day_two_v2: Vec<_> = windows
            .as_array()?
            .iter()
            .filter(|w| w["version"] == "2" && w["window_start"].as_str() >= Some("2026-01-06"))
            .filter(|w| w["predictions"].as_u64() > Some(0))
            .cloned()
            .collect();
        let tested = day_two_v2
            .iter()
            .filter(|w| !w["drift"].as_array().unwrap().is_empty())
            .count();
        (tested >= 3).then_some(())
    });
    stop_gracefully(run);
    let _ = std::fs::remove_dir_all(cache);
}
