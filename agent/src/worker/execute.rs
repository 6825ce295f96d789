//! Carrying out an approved action: a rollback is an alias move in MLflow
//! (`mlobs_registry::serving::rollback`, audited on the version's tags and
//! in ClickHouse's `registry_events`, as `mlobs model rollback` is); a
//! retrain is the `mlobs retrain` job run here to its end (its steps are
//! rows of `agent_actions` under the action's id).
//!
//! At most once: the worker saves the action as `executing` before the
//! call, and an action found `executing` after a restart is executed again
//! only if the registry does not already serve its target. The rollback
//! itself changes nothing when the target is the champion with no
//! challenger, so even a second call could not move anything twice.

use mlobs_pipeline::config::RetrainConfig;
use mlobs_pipeline::sinks::clickhouse::{audit, ClickHouse};
use mlobs_registry::serving::{self, Change};
use mlobs_registry::Registry;
use mlobs_schemas::time::now_ms;

use crate::graph::{Action, ActionStatus};
use crate::reason::Action as Remedy;

/// Who the registry's audit names for the agent's changes.
pub const ACTOR: &str = "mlobs-agent";

/// What carrying out an action may reach.
pub struct Executor<'a> {
    /// MLflow (`None`: mlflow.url is not set).
    pub registry: Option<&'a Registry>,
    /// ClickHouse (`None`: the history is off).
    pub clickhouse: Option<&'a ClickHouse>,
    /// `[retrain]`.
    pub retrain: &'a RetrainConfig,
}

/// `action` carried out: `Executed` with what it did, or `Failed` with
/// why, stamped with the time it ended (a retrain takes a while, and its
/// steps' rows come before it).
pub fn execute(executor: &Executor, action: &Action) -> Action {
    let Executor {
        registry,
        clickhouse,
        retrain: config,
    } = *executor;
    let outcome = match (action.action, registry) {
        (Remedy::Rollback, Some(registry)) => rollback(registry, clickhouse, action),
        (Remedy::Retrain, Some(registry)) => match clickhouse {
            Some(clickhouse) => retrain(config, registry, clickhouse, action),
            None => {
                Err("clickhouse.url is not set: a retrain reads its data from ClickHouse".into())
            }
        },
        (Remedy::Rollback | Remedy::Retrain, None) => {
            Err("mlflow.url is not set: the agent cannot reach the registry".into())
        }
        (other, _) => Err(format!(
            "the agent does not carry out {} itself",
            crate::graph::incident::name_of(&other)
        )),
    };
    let mut done = action.clone();
    done.updated_ms = now_ms();
    match outcome {
        Ok(result) => {
            done.status = ActionStatus::Executed;
            done.result = result;
        }
        Err(error) => {
            done.status = ActionStatus::Failed;
            done.result = error;
        }
    }
    done
}

fn rollback(
    registry: &Registry,
    clickhouse: Option<&ClickHouse>,
    action: &Action,
) -> Result<String, String> {
    let model = &action.model;
    let target = action
        .target_version
        .as_deref()
        .ok_or_else(|| "a rollback needs a target version".to_string())?;
    let before = serving::serving(registry, model).map_err(|e| e.to_string())?;
    if before.champion.as_deref() == Some(target) && before.challenger.is_none() {
        return Ok(format!(
            "version {target} already serves alone; nothing to move"
        ));
    }
    let change = Change {
        actor: ACTOR.to_string(),
        reason: format!(
            "action {} ({}; approved by {})",
            action.action_id,
            if action.incident_id.is_empty() {
                "asked for over MCP".to_string()
            } else {
                format!("incident {}, {}", action.incident_id, action.root_cause)
            },
            action.decided_by
        ),
        at_ms: now_ms(),
    };
    let event = serving::rollback(registry, model, target, &change).map_err(|e| e.to_string())?;
    if let (Some(event), Some(clickhouse)) = (&event, clickhouse) {
        audit::record_or_warn(clickhouse, event);
    }
    Ok(format!(
        "rolled back to version {target} (champion was {})",
        before.champion.as_deref().unwrap_or("none")
    ))
}

fn retrain(
    config: &RetrainConfig,
    registry: &Registry,
    clickhouse: &ClickHouse,
    action: &Action,
) -> Result<String, String> {
    let request = mlobs_retrain::Request {
        model: action.model.clone(),
        environment: String::new(),
        since_ms: action.since_ms,
        job_id: action.action_id.clone(),
        incident_id: action.incident_id.clone(),
        requested_by: ACTOR.to_string(),
        approved_by: action.decided_by.clone(),
    };
    let services = mlobs_retrain::Services {
        config,
        registry,
        clickhouse,
    };
    mlobs_retrain::run(&services, &request)
        .map(|outcome| outcome.summary())
        .map_err(|e| format!("retraining failed, what serves is unchanged: {e}"))
}
