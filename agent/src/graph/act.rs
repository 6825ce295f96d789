//! The Act node: the first proposed remedy becomes an [`Action`], approved
//! at once when the environment's policy lists it as `auto`, else waiting
//! for a person; the later remedies the agent can carry out itself become
//! follow-up actions under the same policy (Option B, a retrain, beside
//! Option A, a rollback). The agent carries out a rollback (an alias move
//! in MLflow) and a retrain (the `mlobs retrain` job); the other remedies
//! are recorded as proposals for the people or systems that own them.

use super::incident::{action_id, name_of, Action, ActionStatus, Incident};
use super::policy::Policy;
use crate::reason::{Action as Remedy, Remedy as Proposal};

/// Whether the agent can carry `remedy` out itself.
pub fn executable(remedy: Remedy) -> bool {
    matches!(remedy, Remedy::Rollback | Remedy::Retrain)
}

/// The actions for `incident`'s report: its first proposed remedy, then
/// every later one the agent can carry out itself (the follow-ups). Empty
/// when the report proposes nothing.
pub fn propose(incident: &Incident, policy: &Policy, now_ms: i64) -> Vec<Action> {
    let Some(report) = incident.report.as_ref() else {
        return Vec::new();
    };
    let (first, rest) = match report.proposed_actions.split_first() {
        Some(split) => split,
        None => return Vec::new(),
    };
    let later = rest
        .iter()
        .filter(|r| executable(r.action) && r.action != first.action);
    std::iter::once(first)
        .chain(later)
        .map(|remedy| {
            let mut action = request(
                &incident.incident_id,
                &incident.model,
                &incident.environment,
                remedy,
                "agent",
                policy,
                now_ms,
            );
            action.root_cause = name_of(&report.root_cause.category);
            action.version = report.root_cause.version.clone().unwrap_or_default();
            action.alert_id = incident.opened_by.clone();
            action.evidence = report.evidence.iter().map(|e| e.claim.clone()).collect();
            action
        })
        .collect()
}

/// An action asked for by `requested_by` (the agent for an incident, or an
/// MCP client for `rollback_model` with an empty incident), with its status
/// under `policy`.
pub fn request(
    incident: &str,
    model: &str,
    environment: &str,
    proposal: &Proposal,
    requested_by: &str,
    policy: &Policy,
    now_ms: i64,
) -> Action {
    let target = proposal.target_version.as_deref();
    let id = action_id(&format!("{incident}/{model}"), proposal.action, target);
    let (status, decided_by) = if !executable(proposal.action) {
        (ActionStatus::ProposedOnly, String::new())
    } else if policy.is_auto(environment, proposal.action) {
        (ActionStatus::Approved, format!("policy:{environment}"))
    } else {
        (ActionStatus::AwaitingApproval, String::new())
    };
    Action {
        action_id: id,
        incident_id: incident.to_string(),
        model: model.to_string(),
        environment: environment.to_string(),
        action: proposal.action,
        target_version: proposal.target_version.clone(),
        expected_effect: proposal.expected_effect.clone(),
        root_cause: String::new(),
        version: String::new(),
        alert_id: String::new(),
        evidence: Vec::new(),
        since_ms: None,
        status,
        requested_by: requested_by.to_string(),
        decided_by,
        result: String::new(),
        created_ms: now_ms,
        updated_ms: now_ms,
    }
}

/// A person's decision on `action`: approved or rejected by `who`, with
/// `why`. Refused (with the reason) when the action is not waiting for one.
pub fn decide(
    action: &Action,
    approve: bool,
    who: &str,
    why: &str,
    now_ms: i64,
) -> Result<Action, String> {
    if action.status != ActionStatus::AwaitingApproval {
        return Err(format!(
            "action {} is {}, not awaiting approval",
            action.action_id,
            name_of(&action.status)
        ));
    }
    let mut decided = action.clone();
    decided.status = if approve {
        ActionStatus::Approved
    } else {
        ActionStatus::Rejected
    };
    decided.decided_by = who.to_string();
    decided.result = why.to_string();
    decided.updated_ms = now_ms;
    Ok(decided)
}

#[cfg(test)]
mod tests {
    use super::super::policy::policy_from_toml;
    use super::*;

    fn rollback() -> Proposal {
        Proposal {
            action: Remedy::Rollback,
            target_version: Some("1".into()),
            expected_effect: "back to 95%".into(),
        }
    }

    #[test]
    fn the_policy_decides_whether_a_rollback_or_a_retrain_waits_and_other_remedies_are_proposals() {
        let require = Policy::default();
        let auto = Policy::default().with(
            "staging",
            policy_from_toml("auto = [\"rollback\"]").unwrap(),
        );
        let waiting = request("i", "churn", "staging", &rollback(), "agent", &require, 5);
        assert_eq!(waiting.status, ActionStatus::AwaitingApproval);
        let approved = request("i", "churn", "staging", &rollback(), "agent", &auto, 5);
        assert_eq!(approved.status, ActionStatus::Approved);
        assert_eq!(approved.decided_by, "policy:staging");
        assert_eq!(
            approved.action_id, waiting.action_id,
            "one key per proposal"
        );
        let retrain = Proposal {
            action: Remedy::Retrain,
            target_version: None,
            expected_effect: String::new(),
        };
        let waits = request("i", "churn", "staging", &retrain, "agent", &auto, 5);
        assert_eq!(waits.status, ActionStatus::AwaitingApproval);
        let both = Policy::default().with(
            "staging",
            policy_from_toml("auto = [\"rollback\", \"retrain\"]").unwrap(),
        );
        let runs = request("i", "churn", "staging", &retrain, "agent", &both, 5);
        assert_eq!(runs.status, ActionStatus::Approved);
        let fix = Proposal {
            action: Remedy::FixUpstreamData,
            target_version: None,
            expected_effect: String::new(),
        };
        let proposed = request("i", "churn", "staging", &fix, "agent", &both, 5);
        assert_eq!(proposed.status, ActionStatus::ProposedOnly);
    }

    #[test]
    fn only_a_waiting_action_can_be_decided_and_a_decision_wins_a_merge() {
        let waiting = request(
            "i",
            "churn",
            "production",
            &rollback(),
            "agent",
            &Policy::default(),
            5,
        );
        let approved = decide(&waiting, true, "alice", "", 9).unwrap();
        assert_eq!(approved.status, ActionStatus::Approved);
        let again = decide(&approved, false, "bob", "too late", 10).unwrap_err();
        assert!(again.contains("approved, not awaiting"), "{again}");
        assert_eq!(waiting.clone().merge(approved.clone()), approved);
        assert_eq!(approved.clone().merge(waiting), approved);
    }
}
