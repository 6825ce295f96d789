//! The people's side of the approval policy: approving or rejecting a
//! waiting action (`mlobs agent approve|reject ACTION_ID`, MCP
//! `approve_action`) and asking for a rollback over MCP
//! (`rollback_model`). Each writes the action's new state to the actions
//! topic, where the worker picks it up and carries it out; nothing here
//! touches the registry itself, so every change goes through one executor.

use mlobs_pipeline::shutdown::Shutdown;
use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_pipeline::Config;
use mlobs_schemas::time::now_ms;

use crate::graph::policy::Policy;
use crate::graph::{act, Action};
use crate::reason::{Action as Remedy, Remedy as Proposal};
use crate::worker::store::{restore_actions, Store};
use crate::worker::WorkerError;

/// Why a decision or a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    /// No action has this id.
    #[error("no action {0}; list them with `mlobs agent incidents` or the MCP tool get_incident")]
    Unknown(String),
    /// The action is not waiting for a decision.
    #[error("{0}")]
    NotWaiting(String),
    /// Kafka, ClickHouse or the policy.
    #[error(transparent)]
    Worker(#[from] WorkerError),
}

/// Approves (or rejects) waiting action `action_id` as `who`, with `why`.
pub fn decide(
    config: &Config,
    action_id: &str,
    approve: bool,
    who: &str,
    why: &str,
) -> Result<Action, ApprovalError> {
    let actions = restore_actions(&config.kafka)?;
    let action = actions
        .get(action_id)
        .ok_or_else(|| ApprovalError::Unknown(action_id.to_string()))?;
    let decided =
        act::decide(action, approve, who, why, now_ms()).map_err(ApprovalError::NotWaiting)?;
    store(config)?.save_action(&decided)?;
    Ok(decided)
}

/// Asks for a rollback of `model` to `version` in `environment`, on behalf
/// of an MCP client: approved at once when the environment's policy says
/// `auto`, else waiting for a decision. The same request while the first
/// is still pending or running is that action (its state is returned).
pub fn request_rollback(
    config: &Config,
    model: &str,
    version: &str,
    environment: &str,
) -> Result<Action, ApprovalError> {
    let policy = Policy::load(&config.agent.policy_dir).map_err(WorkerError::from)?;
    let proposal = Proposal {
        action: Remedy::Rollback,
        target_version: Some(version.to_string()),
        expected_effect: format!("serve version {version} alone"),
    };
    let mut action = act::request("", model, environment, &proposal, "mcp", &policy, now_ms());
    let known = restore_actions(&config.kafka)?;
    match known.get(&action.action_id) {
        Some(existing) if !existing.is_settled() => return Ok(existing.clone()),
        // The same rollback done before: this is a new request.
        Some(_) => action.action_id = format!("{}-{}", action.action_id, action.created_ms),
        None => {}
    }
    store(config)?.save_action(&action)?;
    Ok(action)
}

fn store(config: &Config) -> Result<Store, WorkerError> {
    let clickhouse = ClickHouse::from_config(&config.clickhouse)?;
    Store::open(&config.kafka, clickhouse, &Shutdown::default())
}
