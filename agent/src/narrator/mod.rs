//! The optional LLM narrator (`[agent.llm]`; the seed's "Ollama
//! analyzes"): after the Reason node, a chat model behind an
//! OpenAI-compatible API (Ollama serves one) is asked to write the
//! hypothesis and the explanation in words. Its answer is shown only when
//! [`check::accept`] finds nothing in it that the evidence does not hold;
//! otherwise it is discarded (counted in `mlobs_agent_narrations_total`,
//! logged) and the deterministic report stands alone. The diagnosis itself
//! never depends on a model.

pub mod check;

use std::time::Duration;

use mlobs_pipeline::config::LlmConfig;
use serde_json::{json, Value};

pub use check::{Discarded, Narration};

use crate::reason::InvestigationReport;

/// A chat model to ask.
pub struct Narrator {
    http: reqwest::blocking::Client,
    endpoint: String,
    model: String,
    key: Option<String>,
}

/// Why no narration came.
#[derive(Debug, thiserror::Error)]
pub enum NarrationError {
    /// The endpoint did not answer usefully.
    #[error("asking {endpoint}: {detail}")]
    Request {
        /// The URL asked.
        endpoint: String,
        /// What went wrong.
        detail: String,
    },
    /// The answer was not fit to show.
    #[error("{0}")]
    Discarded(Discarded),
}

impl NarrationError {
    /// The label of `mlobs_agent_narrations_total`.
    pub fn outcome(&self) -> &'static str {
        match self {
            NarrationError::Request { .. } => "failed",
            NarrationError::Discarded(d) => d.outcome(),
        }
    }
}

impl Narrator {
    /// The narrator `config` describes; `None` while `url` is empty.
    pub fn from_config(config: &LlmConfig) -> Option<Narrator> {
        if config.url.trim().is_empty() {
            return None;
        }
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .build()
            .ok()?;
        Some(Narrator {
            http,
            endpoint: format!("{}/chat/completions", config.url.trim_end_matches('/')),
            model: config.model.clone(),
            key: std::env::var(&config.api_key_env)
                .ok()
                .filter(|k| !k.is_empty()),
        })
    }

    /// The checked narration of `report`.
    pub fn narrate(&self, report: &InvestigationReport) -> Result<Narration, NarrationError> {
        let (system, user) = check::messages(report);
        let body = json!({
            "model": self.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        });
        let failed = |detail: String| NarrationError::Request {
            endpoint: self.endpoint.clone(),
            detail,
        };
        let mut request = self.http.post(&self.endpoint).json(&body);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key);
        }
        let response = request.send().map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .map_err(|e| failed(format!("{status}: {e}")))?;
        let content = answer["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| {
                failed(format!(
                    "{status}: no choices[0].message.content in {answer}"
                ))
            })?;
        check::accept(report, content).map_err(NarrationError::Discarded)
    }
}
