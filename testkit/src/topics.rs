//! Topics a test made, deleted when the test is done with them, however it
//! ends: `make test` leaves the broker with the topics it found.

use std::time::Duration;

use std::collections::BTreeMap;

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::ClientConfig;

/// Topics named `name` or `name.<anything>` for each of `names`, on the
/// broker at `brokers`, are deleted when this is dropped.
#[must_use = "the topics are deleted when this is dropped"]
pub struct OwnTopics {
    brokers: String,
    names: Vec<String>,
}

impl OwnTopics {
    /// The topics `names` (and their `name.*`) on the broker at `brokers`.
    pub fn on(brokers: &str, names: &[&str]) -> Self {
        OwnTopics {
            brokers: brokers.to_string(),
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }
}

/// True when `topic` is `name` or `name.<anything>`.
fn is_or_under(topic: &str, name: &str) -> bool {
    topic
        .strip_prefix(name)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

impl Drop for OwnTopics {
    fn drop(&mut self) {
        if let Err(error) = self.delete() {
            // A test's own broker may be gone already; the shared one is
            // swept by `make test` (infra/kafka/sweep-topics.sh).
            eprintln!(
                "could not delete the topics {:?} on {}: {error}",
                self.names, self.brokers
            );
        }
    }
}

impl OwnTopics {
    fn delete(&self) -> Result<(), String> {
        delete_topics_where(&self.brokers, |topic| {
            self.names.iter().any(|name| is_or_under(topic, name))
        })
    }
}

/// What the broker at `brokers` says of `topic`: its settings as
/// DescribeConfigs returns them (defaults included), and the replica count
/// of each partition.
pub fn describe_topic(brokers: &str, topic: &str) -> (BTreeMap<String, String>, Vec<usize>) {
    let admin = admin(brokers).expect("an admin client");
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(30)));
    let described = crate::tokio_free_block_on(
        admin.describe_configs([&ResourceSpecifier::Topic(topic)], &options),
    )
    .expect("the broker answers DescribeConfigs");
    let resource = described
        .into_iter()
        .next()
        .expect("one resource")
        .unwrap_or_else(|e| panic!("describing {topic}: {e}"));
    let settings = resource
        .entries
        .into_iter()
        .filter_map(|entry| Some((entry.name, entry.value?)))
        .collect();
    let metadata = admin
        .inner()
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("topic metadata");
    let replicas = metadata.topics()[0]
        .partitions()
        .iter()
        .map(|p| p.replicas().len())
        .collect();
    (settings, replicas)
}

fn admin(brokers: &str) -> Result<AdminClient<DefaultClientContext>, String> {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .map_err(|e| e.to_string())
}

/// Deletes every topic whose name `owned` accepts.
fn delete_topics_where(brokers: &str, owned: impl Fn(&str) -> bool) -> Result<(), String> {
    let admin = admin(brokers)?;
    let metadata = admin
        .inner()
        .fetch_metadata(None, Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    let names: Vec<&str> = metadata
        .topics()
        .iter()
        .map(|t| t.name())
        .filter(|name| owned(name))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = crate::tokio_free_block_on(admin.delete_topics(&names, &options))
        .map_err(|e| e.to_string())?;
    for result in results {
        if let Err((topic, code)) = result {
            return Err(format!("{topic}: {code}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_covers_itself_and_its_dotted_children_only() {
        assert!(is_or_under("run-1-2-1", "run-1-2-1"));
        assert!(is_or_under("run-1-2-1.predictions", "run-1-2-1"));
        assert!(!is_or_under("run-1-2-10", "run-1-2-1"));
        assert!(!is_or_under("run-1-2-10.predictions", "run-1-2-1"));
    }
}
