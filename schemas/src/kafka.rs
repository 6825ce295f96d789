//! Building librdkafka client settings from mlobs configuration.

use std::collections::BTreeMap;

use rdkafka::ClientConfig;

/// A librdkafka client config for `brokers`, with the user's passthrough
/// settings (`security.protocol`, `sasl.*`, `ssl.*`, ...) applied last so
/// they win over mlobs' defaults.
pub fn client_config(brokers: &str, passthrough: &BTreeMap<String, String>) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", brokers);
    for (key, value) in passthrough {
        config.set(key, value);
    }
    config
}

/// [`client_config`] for a producer. Records are partitioned by key with
/// murmur2, the Java client's default, so that mlobs' producers and a model
/// server's Java producer put the same prediction_id in the same partition.
pub fn producer_config(brokers: &str, passthrough: &BTreeMap<String, String>) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("partitioner", "murmur2_random");
    for (key, value) in passthrough {
        config.set(key, value);
    }
    config
}
