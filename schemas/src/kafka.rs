//! Building librdkafka client settings from mlobs configuration.

use std::collections::BTreeMap;

use rdkafka::ClientConfig;

/// How often every mlobs client asks for the metadata of its topics, in ms
/// (librdkafka's default: 5 minutes). When a partition's leader moves to a
/// broker the client has not met yet (it restarted, and was down when the
/// client last read the broker list), librdkafka 2.12 ignores the move
/// ("new leader not found in cache", librdkafka issue 5430) until its next
/// full refresh: killing and restarting a broker of three left a partition
/// unread for 198 s. A refresh costs one small request.
pub const METADATA_REFRESH_MS: &str = "10000";

/// A librdkafka client config for `brokers`, with the user's passthrough
/// settings (`security.protocol`, `sasl.*`, `ssl.*`, ...) applied last so
/// they win over mlobs' defaults.
pub fn client_config(brokers: &str, passthrough: &BTreeMap<String, String>) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("topic.metadata.refresh.interval.ms", METADATA_REFRESH_MS);
    for (key, value) in passthrough {
        config.set(key, value);
    }
    config
}

/// [`client_config`] for a producer, as every mlobs producer (the loggers,
/// the simulator, the pipeline's stages) is set up. Records are partitioned
/// by key with murmur2, the Java client's default, so that mlobs' producers
/// and a model server's Java producer put the same prediction_id in the same
/// partition. Idempotent with `acks=all`, as the Java client is by default
/// since Kafka 3.0: a record is acknowledged once every in-sync replica has
/// it, and a retry after a lost answer is neither duplicated nor reordered.
/// At most 5 requests are in flight per broker, as in the Java client
/// (librdkafka allows a million, and idempotence allows at most 5).
pub fn producer_config(brokers: &str, passthrough: &BTreeMap<String, String>) -> ClientConfig {
    let mut config = client_config(brokers, &BTreeMap::new());
    config
        .set("partitioner", "murmur2_random")
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("max.in.flight.requests.per.connection", "5");
    for (key, value) in passthrough {
        config.set(key, value);
    }
    config
}
