//! The librdkafka mlobs is built with can do what the README promises for
//! a secured cluster: TLS (`security.protocol=SSL`/`SASL_SSL`) and SASL
//! SCRAM. Without the rdkafka crate's `ssl` feature librdkafka refuses
//! those settings when a client is created.

use mlobs_pipeline::{kafka, Config};

#[test]
fn librdkafka_is_built_with_ssl_and_sasl_scram() {
    let native = rdkafka::ClientConfig::new()
        .create_native_config()
        .expect("a librdkafka config");
    let features = native.get("builtin.features").expect("builtin.features");
    let features: Vec<&str> = features.split(',').collect();
    for needed in ["ssl", "sasl_scram", "sasl_plain"] {
        assert!(
            features.contains(&needed),
            "{needed} missing from {features:?}"
        );
    }
}

#[test]
fn the_readme_sasl_ssl_settings_make_a_client() {
    let env = [
        ("MLOBS_KAFKA_BROKERS", "127.0.0.1:1"),
        ("MLOBS_LIBRDKAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
        ("MLOBS_LIBRDKAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
        ("MLOBS_LIBRDKAFKA_SASL_USERNAME", "mlobs"),
        ("MLOBS_LIBRDKAFKA_SASL_PASSWORD", "secret"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let config = Config::load_with_env(None, env).expect("the settings load");
    assert_eq!(
        config
            .kafka
            .librdkafka
            .get("security.protocol")
            .map(String::as_str),
        Some("SASL_SSL")
    );
    kafka::offsets_client(&config.kafka).expect("librdkafka takes SASL_SSL with SCRAM");
    let _producer = kafka::producer(&config.kafka).expect("and so does the producer");
}
