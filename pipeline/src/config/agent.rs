//! `[agent]`: how the agent worker (`mlobs agent run`) acts.
//!
//! ```toml
//! [agent]
//! policy_dir = "infra/agent/policies"  # <environment>.toml: auto = ["rollback"]
//! verify_windows = 6
//! ```

use serde::{Deserialize, Serialize};

/// `[agent]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentConfig {
    /// Folder of approval policies, one `<environment>.toml` per
    /// environment (`auto = ["rollback"]` lists the actions the agent may
    /// carry out without a person). Empty, or no file for an environment:
    /// every action waits for `mlobs agent approve`.
    pub policy_dir: String,
    /// Windows after a remedy within which the metric must be back at its
    /// objective (for the alert's `for_windows` windows in a row); after
    /// them the incident is escalated with the numbers.
    pub verify_windows: u32,
    /// How often (ms) the worker looks at its open incidents and the
    /// approvals when no alert arrives.
    pub poll_ms: u64,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            policy_dir: String::new(),
            verify_windows: 6,
            poll_ms: 1_000,
        }
    }
}
