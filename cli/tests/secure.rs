//! The secure setups the README documents, for real: the history over
//! HTTPS to a ClickHouse whose certificate a private CA signed (made by
//! infra/clickhouse, as in a self-signed deployment); one clear error line
//! naming the setting for an untrusted certificate, a port that does not
//! speak TLS and a wrong password; and Kafka with `security.protocol=SSL`
//! against a broker that does not speak TLS, which must end with an error,
//! not hang. (The local broker has no TLS or SASL; that librdkafka has
//! both is tested in pipeline/tests/librdkafka.rs.)

mod support;

use std::time::Duration;

use mlobs_schemas::encode;
use mlobs_testkit::services::PrivateService;
use mlobs_testkit::wait_until;
use mlobs_testkit::workload::stream;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use support::{output_within, stop_gracefully, Pipeline, DEADLINE};

/// How long a command that must fail may take (a TLS client at a plain
/// port gives up after 10 s).
const ANSWER: Duration = Duration::from_secs(30);

/// Runs `mlobs args`, which must fail; returns (exit code, stderr).
fn fails(pipeline: &Pipeline, args: &[&str]) -> (Option<i32>, String) {
    let output = output_within(pipeline.mlobs(args), ANSWER);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        !output.status.success(),
        "mlobs {args:?} succeeded: {stderr}"
    );
    (output.status.code(), stderr)
}

/// The last line of stderr: the command's answer (`error: ...`).
fn answer(stderr: &str) -> &str {
    stderr.lines().last().unwrap_or_default()
}

#[test]
fn the_history_goes_over_https_when_the_ca_is_given() {
    let clickhouse = PrivateService::clickhouse_with_https();
    let mut pipeline = Pipeline::new("https", 1);
    pipeline.set("MLOBS_CLICKHOUSE_URL", &clickhouse.https_url());
    pipeline.set(
        "MLOBS_CLICKHOUSE_CA_FILE",
        clickhouse.ca_file().to_str().unwrap(),
    );
    let said = pipeline.succeed(&["clickhouse", "migrate"]);
    assert!(said.contains(&clickhouse.https_url()), "{said}");
    let run = pipeline.start("run", &[]);
    let (predictions, labels) = stream(200);
    let producer: BaseProducer =
        mlobs_schemas::kafka::producer_config(&pipeline.brokers(), &Default::default())
            .create()
            .unwrap();
    let (predictions_topic, labels_topic) =
        (pipeline.topic("predictions"), pipeline.topic("labels"));
    for event in &predictions {
        let payload = encode(event).unwrap();
        let record = BaseRecord::to(&predictions_topic)
            .key(&event.prediction_id)
            .payload(&payload);
        producer.send(record).unwrap();
    }
    for label in &labels {
        let payload = encode(label).unwrap();
        let record = BaseRecord::to(&labels_topic)
            .key(&label.prediction_id)
            .payload(&payload);
        producer.send(record).unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    // Read back over the same server's plain HTTP port (the running
    // pipeline keeps its HTTPS settings).
    pipeline.set("MLOBS_CLICKHOUSE_URL", &clickhouse.url());
    wait_until(DEADLINE, "the predictions in the history", || {
        let rows = pipeline.history_number("SELECT count() FROM {db}.inference_log");
        (rows == 200.0).then_some(())
    });
    let rows = pipeline.history(
        "SELECT prediction_id, toUnixTimestamp(event_time) AS s, event_time_ms, \
         numeric_feature_names, categorical_feature_values \
         FROM {db}.inference_log WHERE prediction_id = 'pred-000000007'",
    );
    let sent = &predictions[7];
    assert_eq!(rows[0]["event_time_ms"], sent.event_time.to_string());
    assert_eq!(rows[0]["s"], sent.event_time / 1000);
    assert_eq!(
        rows[0]["numeric_feature_names"].as_array().unwrap().len(),
        20
    );
    assert_eq!(
        rows[0]["categorical_feature_values"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    stop_gracefully(run);
}

#[test]
fn an_untrusted_certificate_or_a_port_without_tls_is_one_line_naming_the_setting() {
    let clickhouse = PrivateService::clickhouse_with_https();
    let mut pipeline = Pipeline::new("untrusted", 1);
    // No CA given: the machine's trust store does not know the private CA.
    pipeline.set("MLOBS_CLICKHOUSE_URL", &clickhouse.https_url());
    let (code, stderr) = fails(&pipeline, &["clickhouse", "migrate"]);
    assert_eq!(code, Some(1), "{stderr}");
    let line = answer(&stderr);
    assert!(
        line.starts_with("error: clickhouse.url https://"),
        "{stderr}"
    );
    assert!(line.contains("clickhouse.ca_file"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // `mlobs run` says the same at start, and stops.
    let (code, stderr) = fails(&pipeline, &["run"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(answer(&stderr).contains("clickhouse.ca_file"), "{stderr}");
    // https:// to the plain HTTP port.
    pipeline.set(
        "MLOBS_CLICKHOUSE_URL",
        &clickhouse.url().replace("http:", "https:"),
    );
    pipeline.set(
        "MLOBS_CLICKHOUSE_CA_FILE",
        clickhouse.ca_file().to_str().unwrap(),
    );
    // The server may answer the handshake with an HTTP error (a TLS
    // failure) or wait for the rest of a request (the connection's
    // deadline): either way one line naming clickhouse.url, within seconds.
    let (code, stderr) = fails(&pipeline, &["clickhouse", "migrate"]);
    assert_eq!(code, Some(1), "{stderr}");
    let line = answer(&stderr);
    assert!(
        line.contains("clickhouse.url") && line.contains("TLS"),
        "{stderr}"
    );
    // A CA file that is not one.
    pipeline.set("MLOBS_CLICKHOUSE_URL", &clickhouse.https_url());
    pipeline.set("MLOBS_CLICKHOUSE_CA_FILE", "/nonexistent/ca.crt");
    let (_, stderr) = fails(&pipeline, &["clickhouse", "migrate"]);
    assert!(
        answer(&stderr).starts_with("error: clickhouse.ca_file /nonexistent/ca.crt"),
        "{stderr}"
    );
    // The test's own reads (and the database drop) go over plain HTTP.
    pipeline.set("MLOBS_CLICKHOUSE_URL", &clickhouse.url());
}

#[test]
fn a_wrong_clickhouse_password_is_one_line_naming_the_setting() {
    let mut pipeline = Pipeline::new("password", 1);
    pipeline.set("MLOBS_CLICKHOUSE_PASSWORD", "not-the-password");
    for args in [&["clickhouse", "migrate"][..], &["run"][..]] {
        let (code, stderr) = fails(&pipeline, args);
        assert_eq!(code, Some(1), "{stderr}");
        let line = answer(&stderr);
        assert!(line.starts_with("error: clickhouse.password: "), "{stderr}");
        assert!(line.contains("'default'"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    pipeline.set("MLOBS_CLICKHOUSE_USER", "nobody");
    let (_, stderr) = fails(&pipeline, &["clickhouse", "migrate"]);
    assert!(answer(&stderr).contains("user 'nobody'"), "{stderr}");
}

#[test]
fn kafka_over_tls_to_a_broker_without_tls_ends_with_an_error_naming_the_setting() {
    let mut pipeline = Pipeline::new("kafka-tls", 1);
    // The local broker speaks plain Kafka: librdkafka's TLS handshake
    // stalls there until its connection setup timeout (30 s), and the
    // request waiting for it gives up.
    pipeline.set("MLOBS_LIBRDKAFKA_SECURITY_PROTOCOL", "SSL");
    pipeline.set("MLOBS_METRICS_LISTEN", "");
    for args in [&["topics", "check"][..], &["run"][..]] {
        let output = output_within(pipeline.mlobs(args), Duration::from_secs(180));
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        let line = answer(&stderr);
        assert!(
            line.contains("security.protocol is SSL"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
