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
/// At most 5 requests are in flight per broker, as in the Java client
/// (librdkafka allows a million): a slow broker then sees a few batches per
/// producer instead of a flood it answers with timeouts and retries (on
/// tansu, a burst drained in 71 s instead of 111 s; docs/architecture.md).
pub fn producer_config(brokers: &str, passthrough: &BTreeMap<String, String>) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("partitioner", "murmur2_random")
        .set("max.in.flight.requests.per.connection", "5");
    for (key, value) in passthrough {
        config.set(key, value);
    }
    config
}
