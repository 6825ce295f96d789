//! An incident and the actions taken on it: the records the agent writes
//! to its topics and to ClickHouse (`incidents`, `agent_actions`), newest
//! state per id. Both are plain data so that the nodes that change them
//! stay pure.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::reason::{Action as Remedy, InvestigationReport};

/// The node of the seed's graph an incident is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Node {
    /// Opened from firing alerts; folds in the alerts that follow.
    Monitor,
    /// The tools are gathering evidence.
    Investigate,
    /// The evidence is being scored.
    Reason,
    /// A remedy was proposed and waits for approval or execution.
    Act,
    /// The remedy was carried out; the next windows decide.
    Verify,
    /// Resolved or escalated.
    Closed,
}

/// How an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Being worked on.
    Open,
    /// The metric is back at its objective.
    Resolved,
    /// A person must take over; `resolution` says why, with numbers.
    Escalated,
}

/// One incident: the firing alerts of one model, what the agent found and
/// did, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable id: the model and the first alert that opened it.
    pub incident_id: String,
    /// Registered model name.
    pub model: String,
    /// Environment of the alerts.
    pub environment: String,
    /// Where in the graph it is.
    pub node: Node,
    /// Open, resolved or escalated.
    pub status: IncidentStatus,
    /// The alert that opened it.
    pub opened_by: String,
    /// Every alert folded in (ids).
    pub alerts: BTreeSet<String>,
    /// Of which still firing.
    pub firing: BTreeSet<String>,
    /// The Investigate and Reason nodes' report, once made.
    pub report: Option<InvestigationReport>,
    /// The LLM narrator's words for the report, when configured and fit
    /// to show.
    #[serde(default)]
    pub narration: Option<crate::narrator::Narration>,
    /// The action carried out or waiting, once proposed.
    pub action_id: Option<String>,
    /// The other remedies the agent can carry out itself, proposed beside
    /// the first (a retrain beside a rollback: Option B beside Option A).
    /// Carried out once approved, after the first; verification waits for
    /// the approved ones.
    #[serde(default)]
    pub follow_up_ids: Vec<String>,
    /// The newest prediction time (ms) of the model once the action was
    /// carried out: verification looks at windows that start after it.
    pub verify_after_ms: Option<i64>,
    /// How it ended, in a sentence with numbers.
    pub resolution: String,
    /// Wall clock (ms) of opening.
    pub opened_ms: i64,
    /// Wall clock (ms) of the last change.
    pub updated_ms: i64,
}

/// Where an action stands. The order is the order of progress: merging two
/// records of one action keeps the later status (see [`Action::merge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Waits for `mlobs agent approve|reject` or the MCP tool.
    AwaitingApproval,
    /// The agent proposes it but cannot carry it out itself (a person or
    /// another system must).
    ProposedOnly,
    /// Approved, by policy or by a person; the agent will execute it.
    Approved,
    /// Refused by a person.
    Rejected,
    /// Being carried out (written before the call: a restart finds it and
    /// checks the registry instead of calling again).
    Executing,
    /// Done.
    Executed,
    /// Tried and failed; `result` says why.
    Failed,
}

/// One remedy the agent proposed, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// The idempotency key: incident, remedy and target (see [`action_id`]).
    pub action_id: String,
    /// The incident it remedies (empty for a request made over MCP).
    pub incident_id: String,
    /// Registered model name.
    pub model: String,
    /// Environment whose policy applies.
    pub environment: String,
    /// The remedy.
    pub action: Remedy,
    /// The version a rollback goes to.
    pub target_version: Option<String>,
    /// What it should change.
    pub expected_effect: String,
    /// The root-cause category it answers (empty for a request over MCP).
    pub root_cause: String,
    /// The version at fault, when the diagnosis names one.
    pub version: String,
    /// The first alert of the incident (empty for a request over MCP).
    pub alert_id: String,
    /// The evidence claims the diagnosis rests on.
    pub evidence: Vec<String>,
    /// For a retrain: production rows from this event time (ms) on, the
    /// onset of the change, so the new version learns the world as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<i64>,
    /// Where it stands.
    pub status: ActionStatus,
    /// Who asked: `agent` or `mcp`.
    pub requested_by: String,
    /// Who approved or rejected: `policy:ENV` or a person.
    pub decided_by: String,
    /// What executing it did, or why it failed or was refused.
    pub result: String,
    /// Wall clock (ms) of the proposal.
    pub created_ms: i64,
    /// Wall clock (ms) of the last change.
    pub updated_ms: i64,
}

impl Action {
    /// The newer of two records of this action: the one further along,
    /// and of two at the same status the later one. A person's approval
    /// read after the agent's own older record therefore wins, and a stale
    /// record replayed after a restart never moves an action back.
    pub fn merge(self, other: Action) -> Action {
        if (other.status, other.updated_ms) > (self.status, self.updated_ms) {
            other
        } else {
            self
        }
    }

    /// True once nothing more will happen to it.
    pub fn is_settled(&self) -> bool {
        matches!(
            self.status,
            ActionStatus::Rejected
                | ActionStatus::Executed
                | ActionStatus::Failed
                | ActionStatus::ProposedOnly
        )
    }
}

/// The idempotency key of `remedy` (to `target`) for `incident`: the same
/// proposal made again after a restart has the same id, so it is one
/// action, executed at most once.
pub fn action_id(incident: &str, remedy: Remedy, target: Option<&str>) -> String {
    let remedy = name_of(&remedy);
    short_hash(&format!("{incident}/{remedy}/{}", target.unwrap_or("")))
}

/// A serde enum as its JSON name (`data.drift`, `awaiting_approval`,
/// `rollback`): what the records, tables and messages spell.
pub fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The id of the incident `alert_id` opens on `model`.
pub fn incident_id(model: &str, alert_id: &str) -> String {
    short_hash(&format!("{model}/{alert_id}"))
}

/// 32 hex digits of the same hash the alert ids use: stable across
/// releases and platforms (the ids are written to topics and tables).
fn short_hash(text: &str) -> String {
    format!(
        "{:032x}",
        mlobs_operators::hash::murmur3_128(text.as_bytes())
    )
}
