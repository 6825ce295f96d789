//! A three-node Apache Kafka cluster of a test's own, started by the
//! project's script (infra/kafka/cluster.sh) on free loopback ports, whose
//! nodes the test can kill (SIGKILL, as a crash) and start again. Each node
//! is broker and KRaft controller in one process. Stopped when dropped.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;

use crate::services::free_port;
use crate::wait_until;

/// The cluster; nodes are numbered 1 to 3.
pub struct KafkaCluster {
    dir: PathBuf,
    ports: [u16; 3],
}

impl KafkaCluster {
    /// Starts three nodes and waits until each serves.
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(crate::unique_name("kafka-cluster"));
        let ports = [free_port(), free_port(), free_port()];
        let controllers = [free_port(), free_port(), free_port()];
        let list = |ports: &[u16; 3]| ports.map(|p| p.to_string()).join(",");
        let cluster = KafkaCluster { dir, ports };
        cluster.script(&["up", &list(&ports), &list(&controllers)]);
        cluster
    }

    /// The bootstrap servers: every node.
    pub fn bootstrap(&self) -> String {
        self.ports.map(|p| format!("127.0.0.1:{p}")).join(",")
    }

    /// Kills node `node` with SIGKILL and waits until it is gone.
    pub fn kill(&self, node: i32) {
        let pid_file = self.dir.join(format!("node-{node}/kafka/kafka.pid"));
        let pid = std::fs::read_to_string(&pid_file).expect("the node's pid file");
        let pid = pid.trim();
        let killed = Command::new("kill").args(["-KILL", pid]).status().unwrap();
        assert!(killed.success(), "kill -9 {pid} (node {node})");
        // Dead once no process has the id, or only its zombie (which holds
        // no port any more) waits for its parent.
        let status = PathBuf::from(format!("/proc/{pid}/status"));
        wait_until(
            Duration::from_secs(30),
            "the killed node to be gone",
            || {
                let state = std::fs::read_to_string(&status).unwrap_or_default();
                (state.is_empty() || state.contains("State:\tZ")).then_some(())
            },
        );
    }

    /// Starts node `node` again and waits until it serves.
    pub fn restart(&self, node: i32) {
        self.script(&["start", &node.to_string()]);
    }

    /// The node that is the active KRaft controller now.
    pub fn active_controller(&self) -> i32 {
        let out = self.script(&["controller"]);
        out.trim()
            .parse()
            .unwrap_or_else(|_| panic!("a controller id, not {out:?}"))
    }

    /// The leader of each partition of `topic` (-1: none right now).
    pub fn leaders(&self, topic: &str) -> BTreeMap<i32, i32> {
        let metadata = self
            .client()
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("topic metadata");
        metadata.topics()[0]
            .partitions()
            .iter()
            .map(|p| (p.id(), p.leader()))
            .collect()
    }

    /// Waits until every partition of every topic has all its replicas in
    /// sync (a restarted node has caught up).
    pub fn wait_fully_replicated(&self, timeout: Duration) {
        let client = self.client();
        wait_until(timeout, "every replica to be in sync", || {
            let metadata = client.fetch_metadata(None, Duration::from_secs(5)).ok()?;
            metadata
                .topics()
                .iter()
                .flat_map(|t| t.partitions())
                .all(|p| p.leader() >= 0 && p.isr().len() == p.replicas().len())
                .then_some(())
        });
    }

    fn client(&self) -> BaseConsumer {
        ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap())
            .create()
            .expect("a metadata client")
    }

    fn script(&self, args: &[&str]) -> String {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/kafka/cluster.sh");
        let (command, rest) = args.split_first().expect("a command");
        let output = Command::new(script)
            .arg(command)
            .arg(&self.dir)
            .args(rest)
            .output()
            .expect("infra/kafka/cluster.sh runs");
        assert!(
            output.status.success(),
            "infra/kafka/cluster.sh {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for KafkaCluster {
    fn drop(&mut self) {
        self.script(&["down"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
