//! `[agent]`: how the agent worker (`mlobs agent run`) acts.
//!
//! ```toml
//! [agent]
//! policy_dir = "infra/agent/policies"  # <environment>.toml: auto = ["rollback"]
//! verify_windows = 6
//! [agent.llm]                          # optional: words from a model
//! url = "http://127.0.0.1:11434/v1"    # OpenAI-compatible (Ollama serves /v1)
//! model = "llama3.1"
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
    /// Address of the worker's `/metrics`, `/healthz` and `/readyz` ("" for
    /// none); not the pipeline's 9464, so both run on one host.
    pub metrics_listen: String,
    /// The optional LLM narrator.
    pub llm: LlmConfig,
}

/// `[agent.llm]`: a chat model that writes the hypothesis and the
/// explanation of a diagnosis in words. Off while `url` is empty; the
/// deterministic report never depends on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    /// Base URL of an OpenAI-compatible API (`.../v1`; Ollama serves one at
    /// `http://127.0.0.1:11434/v1`).
    pub url: String,
    /// The model to ask.
    pub model: String,
    /// Environment variable holding the API key, if the endpoint needs one
    /// (a secret does not belong in a config file).
    pub api_key_env: String,
    /// How long one answer may take (ms) before the report goes without.
    pub timeout_ms: u64,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            url: String::new(),
            model: String::new(),
            api_key_env: "MLOBS_LLM_API_KEY".into(),
            timeout_ms: 30_000,
        }
    }
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            policy_dir: String::new(),
            verify_windows: 6,
            poll_ms: 1_000,
            metrics_listen: "127.0.0.1:9467".into(),
            llm: LlmConfig::default(),
        }
    }
}
