use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A config file in the temp dir, removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn file(text: &str) -> TempFile {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "mlobs-config-{}-{}.toml",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let path = std::env::temp_dir().join(name);
    std::fs::write(&path, text).unwrap();
    TempFile(path)
}

#[test]
fn defaults_need_no_file() {
    let config = Config::load_with_env(None, env(&[])).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.kafka.brokers, "127.0.0.1:9092");
}

#[test]
fn the_example_file_in_the_repository_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mlobs.example.toml");
    let config = Config::load_with_env(Some(&path), env(&[])).unwrap();
    assert_eq!(config.kafka.topics.predictions, "mlobs.predictions");
}

#[test]
fn file_values_and_passthrough_settings_are_read() {
    let f = file(
        r#"
        [kafka]
        brokers = "kafka-1:9093,kafka-2:9093"
        partitions = 8
        [kafka.librdkafka]
        "security.protocol" = "SASL_SSL"
        "sasl.mechanism" = "PLAIN"
        "#,
    );
    let config = Config::load_with_env(Some(&f.0), env(&[])).unwrap();
    assert_eq!(config.kafka.brokers, "kafka-1:9093,kafka-2:9093");
    assert_eq!(config.kafka.partitions, 8);
    assert_eq!(config.kafka.librdkafka["security.protocol"], "SASL_SSL");
}

#[test]
fn environment_overrides_the_file() {
    let f = file("[kafka]\nbrokers = \"from-file:9092\"\n");
    let config = Config::load_with_env(
        Some(&f.0),
        env(&[
            ("MLOBS_KAFKA_BROKERS", "from-env:9092"),
            ("MLOBS_KAFKA_PARTITIONS", "2"),
            ("MLOBS_KAFKA_TOPICS_DLQ", "team.dlq"),
            ("MLOBS_CLICKHOUSE_URL", "https://ch.example:8443"),
            ("MLOBS_LIBRDKAFKA_SASL_PASSWORD", "s3cret"),
            ("MLOBS_DATA", "/ignored/by/the/config"),
        ]),
    )
    .unwrap();
    assert_eq!(config.kafka.brokers, "from-env:9092");
    assert_eq!(config.kafka.partitions, 2);
    assert_eq!(config.kafka.topics.dlq, "team.dlq");
    assert_eq!(config.clickhouse.url, "https://ch.example:8443");
    assert_eq!(config.kafka.librdkafka["sasl.password"], "s3cret");
}

#[test]
fn an_unknown_key_is_named() {
    let f = file("[kafka]\nbrokerz = \"x\"\n");
    let err = Config::load_with_env(Some(&f.0), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("brokerz") && err.contains("brokers"), "{err}");
}

#[test]
fn a_bad_value_names_the_key_and_what_is_allowed() {
    let err = Config::load_with_env(None, env(&[("MLOBS_KAFKA_PARTITIONS", "many")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("kafka.partitions") && err.contains("integer"),
        "{err}"
    );

    let f = file("[kafka]\npartitions = 0\n");
    let err = Config::load_with_env(Some(&f.0), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("kafka.partitions") && err.contains("1 to 1024"),
        "{err}"
    );

    let f = file("[kafka.topics]\nlabels = \"has space\"\n");
    let err = Config::load_with_env(Some(&f.0), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("kafka.topics.labels"), "{err}");

    let err = Config::load_with_env(None, env(&[("MLOBS_METRICS_LISTEN", "localhost")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("metrics.listen") && err.contains("ip:port"),
        "{err}"
    );

    let err = Config::load_with_env(None, env(&[("MLOBS_CLICKHOUSE_DATABASE", "my-db")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("clickhouse.database") && err.contains("identifier"),
        "{err}"
    );
}

#[test]
fn empty_addresses_switch_the_history_and_the_endpoint_off() {
    let config = Config::load_with_env(
        None,
        env(&[("MLOBS_CLICKHOUSE_URL", ""), ("MLOBS_METRICS_LISTEN", "")]),
    )
    .unwrap();
    assert_eq!(config.clickhouse.url, "");
    assert_eq!(config.metrics.listen, "");
}

#[test]
fn a_missing_file_is_named() {
    let err = Config::load_with_env(Some(Path::new("/nonexistent/mlobs.toml")), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/mlobs.toml"), "{err}");
}

#[test]
fn alert_thresholds_have_defaults_per_model_overrides_and_clear_errors() {
    let f = file(
        r#"
        [alerts.defaults]
        min_accuracy = 0.9
        [alerts.models.churn]
        critical_features = ["monthly_charges"]
        "#,
    );
    let config = Config::load_with_env(
        Some(&f.0),
        env(&[("MLOBS_ALERTS_DEFAULTS_FOR_WINDOWS", "3")]),
    )
    .unwrap();
    let rules = config.alerts.rules().unwrap();
    let churn = rules.for_model("churn");
    assert_eq!(churn.critical_features, ["monthly_charges"]);
    assert_eq!(churn.min_accuracy, 0.9, "the defaults under the override");
    assert_eq!(churn.for_windows, 3, "the environment sets a default");
    assert_eq!(
        rules.for_model("fraud").critical_features,
        Vec::<String>::new()
    );

    let unknown = file("[alerts.models.churn]\nmin_acuracy = 0.9\n");
    let error = Config::load_with_env(Some(&unknown.0), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("alerts.models.churn") && error.contains("min_acuracy"),
        "{error}"
    );
    let out_of_range = file("[alerts.defaults]\nmax_drop = 2.0\n");
    let error = Config::load_with_env(Some(&out_of_range.0), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("max_drop = 2 is not a share"), "{error}");
}

#[test]
fn baselines_come_from_mlflow_unless_a_folder_is_given() {
    let defaults = Config::load_with_env(None, env(&[])).unwrap();
    assert!(defaults.baselines.from_mlflow());
    assert_eq!(defaults.mlflow.refresh_ms, 30_000);
    assert!(defaults.mlflow.cache_path().ends_with("mlobs/baselines"));
    let folder = Config::load_with_env(None, env(&[("MLOBS_BASELINES_DIR", "/b")])).unwrap();
    assert!(!folder.baselines.from_mlflow());
    let both = Config::load_with_env(
        None,
        env(&[
            ("MLOBS_BASELINES_DIR", "/b"),
            ("MLOBS_BASELINES_SOURCE", "mlflow"),
            ("MLOBS_MLFLOW_MODELS", "churn, fraud"),
            ("MLOBS_MLFLOW_CACHE_DIR", "/var/cache/x"),
        ]),
    )
    .unwrap();
    assert!(both.baselines.from_mlflow());
    assert_eq!(both.mlflow.models, ["churn", "fraud"]);
    assert_eq!(
        both.mlflow.cache_path(),
        std::path::Path::new("/var/cache/x")
    );
    let wrong = Config::load_with_env(None, env(&[("MLOBS_BASELINES_SOURCE", "s3")]))
        .unwrap_err()
        .to_string();
    assert!(wrong.contains("source"), "{wrong}");
    let fast = Config::load_with_env(None, env(&[("MLOBS_MLFLOW_REFRESH_MS", "5")]))
        .unwrap_err()
        .to_string();
    assert!(fast.contains("mlflow.refresh_ms"), "{fast}");
}
