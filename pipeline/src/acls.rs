//! The Kafka ACLs each mlobs component needs on a cluster that enforces
//! them (`authorizer.class.name`), from the configured topic and group
//! names: `mlobs topics acls` prints them for a principal, and
//! `cli/tests/kafka_security.rs` grants exactly these and runs every
//! component with them. Kafka's READ and WRITE on a topic imply DESCRIBE
//! (metadata, offsets), so DESCRIBE is only listed where nothing else is.
//! No transactional ids: mlobs is exactly-once in effect without
//! transactions (docs/architecture.md), and an idempotent producer needs
//! only WRITE on a topic (KIP-679).
//!
//! Readers that pick their partitions and offsets themselves (the
//! checkpoint, alert-state and action readers, `mlobs windows`, `mlobs
//! alerts`) neither join nor commit, but librdkafka gives them a group id
//! (`kafka.groups.reader`) and looks its coordinator up: DESCRIBE on that
//! group.

use serde::Serialize;

use crate::config::KafkaConfig;

/// Who needs ACLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// `mlobs run`: both stages.
    Run,
    /// `mlobs run --stage join`.
    Join,
    /// `mlobs run --stage evaluate`.
    Evaluate,
    /// What writes predictions and labels: model servers with the
    /// loggers (Rust or Python SDK) and `mlobs simulate`.
    Producer,
    /// `mlobs agent run`.
    Agent,
    /// `mlobs mcp serve`, and `mlobs agent approve|reject`.
    Mcp,
    /// `mlobs windows`, `mlobs alerts` and `mlobs agent incidents`.
    Reader,
    /// `mlobs alerts webhook` (Alertmanager's alerts onto the alerts topic).
    Webhook,
    /// `mlobs topics create` and `mlobs topics check`.
    Topics,
}

impl Component {
    /// Every component, in the order `mlobs topics acls --help` lists them.
    pub const ALL: [Component; 9] = [
        Component::Run,
        Component::Join,
        Component::Evaluate,
        Component::Producer,
        Component::Agent,
        Component::Mcp,
        Component::Reader,
        Component::Webhook,
        Component::Topics,
    ];

    /// The name a user gives on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Component::Run => "run",
            Component::Join => "join",
            Component::Evaluate => "evaluate",
            Component::Producer => "producer",
            Component::Agent => "agent",
            Component::Mcp => "mcp",
            Component::Reader => "reader",
            Component::Webhook => "webhook",
            Component::Topics => "topics",
        }
    }

    /// The component called `name`, if any.
    pub fn named(name: &str) -> Option<Component> {
        Component::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// One ACL: ALLOW `operation` on the literal resource `name` of `resource`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Acl {
    /// TOPIC or GROUP.
    pub resource: &'static str,
    /// The topic or group name (a literal pattern).
    pub name: String,
    /// READ, WRITE, CREATE or DESCRIBE.
    pub operation: &'static str,
}

impl Acl {
    fn topic(name: &str, operation: &'static str) -> Self {
        Acl {
            resource: "TOPIC",
            name: name.to_string(),
            operation,
        }
    }

    fn group(name: &str, operation: &'static str) -> Self {
        Acl {
            resource: "GROUP",
            name: name.to_string(),
            operation,
        }
    }
}

/// The ACLs `component` needs with `kafka`'s names, sorted, each once.
pub fn needed(kafka: &KafkaConfig, component: Component) -> Vec<Acl> {
    let t = &kafka.topics;
    let g = &kafka.groups;
    let mut acls = match component {
        Component::Run => {
            let mut both = needed(kafka, Component::Join);
            both.extend(needed(kafka, Component::Evaluate));
            both
        }
        Component::Join => vec![
            Acl::topic(&t.predictions, "READ"),
            Acl::topic(&t.labels, "READ"),
            Acl::group(&g.join, "READ"),
            Acl::group(&g.reader, "DESCRIBE"),
            Acl::topic(&t.partials, "WRITE"),
            Acl::topic(&t.dlq, "WRITE"),
            // Checkpoints are written, and read back on restore.
            Acl::topic(&t.changelog, "WRITE"),
            Acl::topic(&t.changelog, "READ"),
        ],
        Component::Evaluate => vec![
            Acl::topic(&t.partials, "READ"),
            Acl::group(&g.evaluate, "READ"),
            Acl::group(&g.reader, "DESCRIBE"),
            Acl::topic(&t.window_metrics, "WRITE"),
            Acl::topic(&t.alerts, "WRITE"),
            Acl::topic(&t.dlq, "WRITE"),
            // The alert rules' state is written, and read back when a
            // partition moves to this instance.
            Acl::topic(&t.alert_state, "WRITE"),
            Acl::topic(&t.alert_state, "READ"),
        ],
        Component::Producer => vec![
            Acl::topic(&t.predictions, "WRITE"),
            Acl::topic(&t.labels, "WRITE"),
        ],
        Component::Agent => vec![
            Acl::topic(&t.alerts, "READ"),
            Acl::group(&g.agent, "READ"),
            Acl::group(&g.reader, "DESCRIBE"),
            Acl::topic(&t.incidents, "WRITE"),
            Acl::topic(&t.incidents, "READ"),
            Acl::topic(&t.agent_actions, "WRITE"),
            Acl::topic(&t.agent_actions, "READ"),
        ],
        Component::Mcp => vec![
            Acl::topic(&t.agent_actions, "WRITE"),
            Acl::topic(&t.agent_actions, "READ"),
            Acl::group(&g.reader, "DESCRIBE"),
        ],
        Component::Reader => vec![
            Acl::topic(&t.window_metrics, "READ"),
            Acl::topic(&t.alerts, "READ"),
            Acl::topic(&t.incidents, "READ"),
            Acl::topic(&t.agent_actions, "READ"),
            Acl::group(&g.reader, "DESCRIBE"),
        ],
        Component::Webhook => vec![Acl::topic(&t.alerts, "WRITE")],
        Component::Topics => t
            .all()
            .into_iter()
            .flat_map(|(_, name)| [Acl::topic(name, "CREATE"), Acl::topic(name, "DESCRIBE")])
            .collect(),
    };
    acls.sort();
    acls.dedup();
    acls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_is_both_stages_and_the_dead_letters_appear_once() {
        let kafka = KafkaConfig::default();
        let run = needed(&kafka, Component::Run);
        let mut stages = needed(&kafka, Component::Join);
        stages.extend(needed(&kafka, Component::Evaluate));
        stages.sort();
        stages.dedup();
        assert_eq!(run, stages);
        let dlq_writes = run
            .iter()
            .filter(|a| a.name == kafka.topics.dlq && a.operation == "WRITE")
            .count();
        assert_eq!(dlq_writes, 1);
    }

    #[test]
    fn names_come_from_the_config() {
        let mut kafka = KafkaConfig::default();
        kafka.topics.predictions = "team.predictions".into();
        kafka.groups.agent = "team-agent".into();
        assert!(
            needed(&kafka, Component::Producer).contains(&Acl::topic("team.predictions", "WRITE"))
        );
        assert!(needed(&kafka, Component::Agent).contains(&Acl::group("team-agent", "READ")));
    }
}
