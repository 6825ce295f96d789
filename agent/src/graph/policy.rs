//! The approval policy: per environment, the actions the agent may carry
//! out on its own. Everything else waits for a person (`mlobs agent
//! approve ACTION_ID` or the MCP tool `approve_action`). The default is
//! `require` for everything, so a fresh install never acts alone.
//!
//! One file per environment in `agent.policy_dir`, named after it
//! (`production.toml`, `staging.toml`):
//!
//! ```toml
//! auto = ["rollback"]   # the rest: require
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::reason::Action as Remedy;

/// One environment's file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentPolicy {
    /// Actions carried out without a person.
    #[serde(default)]
    pub auto: Vec<Remedy>,
}

/// The policies of every environment that has a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    environments: BTreeMap<String, EnvironmentPolicy>,
}

/// A policy file that cannot be used, with what to do.
#[derive(Debug, thiserror::Error)]
#[error("approval policy {path}: {detail}")]
pub struct PolicyError {
    /// The file or folder.
    pub path: String,
    /// What is wrong and what to write instead.
    pub detail: String,
}

impl Policy {
    /// Reads every `*.toml` of `dir`; an empty `dir` means "require
    /// everything everywhere".
    pub fn load(dir: &str) -> Result<Policy, PolicyError> {
        let mut policy = Policy::default();
        if dir.is_empty() {
            return Ok(policy);
        }
        let failed = |path: &Path, detail: String| PolicyError {
            path: path.display().to_string(),
            detail,
        };
        let entries = std::fs::read_dir(dir).map_err(|e| {
            failed(
                Path::new(dir),
                format!("{e}; set agent.policy_dir to a folder of <environment>.toml files"),
            )
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let environment = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path).map_err(|e| failed(&path, e.to_string()))?;
            let parsed = policy_from_toml(&text).map_err(|e| failed(&path, e))?;
            policy.environments.insert(environment, parsed);
        }
        Ok(policy)
    }

    /// The policy of `environment` given as text (tests, one-off tools).
    pub fn with(mut self, environment: &str, policy: EnvironmentPolicy) -> Policy {
        self.environments.insert(environment.to_string(), policy);
        self
    }

    /// True when `action` in `environment` needs no person.
    pub fn is_auto(&self, environment: &str, action: Remedy) -> bool {
        self.environments
            .get(environment)
            .is_some_and(|p| p.auto.contains(&action))
    }
}

/// Parses one environment's file.
pub fn policy_from_toml(text: &str) -> Result<EnvironmentPolicy, String> {
    toml::from_str(text).map_err(|e| {
        format!(
            "{e}; write `auto = [\"rollback\"]` with actions among rollback, retrain, \
             scale_resources, fix_upstream_data, wait_for_labels, none"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_is_the_default_and_auto_lists_actions() {
        let policy = Policy::default().with(
            "staging",
            policy_from_toml("auto = [\"rollback\"]").unwrap(),
        );
        assert!(policy.is_auto("staging", Remedy::Rollback));
        assert!(!policy.is_auto("staging", Remedy::Retrain));
        assert!(!policy.is_auto("production", Remedy::Rollback));
    }

    #[test]
    fn an_unknown_action_names_the_known_ones() {
        let error = policy_from_toml("auto = [\"reboot\"]").unwrap_err();
        assert!(error.contains("scale_resources"), "{error}");
    }

    #[test]
    fn the_shipped_policies_parse() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/agent/policies");
        let policy = Policy::load(dir).unwrap();
        assert!(policy.is_auto("staging", Remedy::Rollback));
        assert!(!policy.is_auto("production", Remedy::Rollback));
    }

    #[test]
    fn a_missing_folder_says_which_setting_to_fix() {
        let error = Policy::load("/nonexistent/policies").unwrap_err();
        assert!(error.to_string().contains("agent.policy_dir"), "{error}");
    }
}
