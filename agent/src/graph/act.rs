//! The Act node: the first proposed remedy becomes an [`Action`], approved
//! at once when the environment's policy lists it as `auto`, else waiting
//! for a person. Only a rollback is carried out by the agent itself (an
//! alias move in MLflow); the other remedies are recorded as proposals for
//! the people or systems that own them (`retrain` once the retraining job
//! exists).

use super::incident::{action_id, name_of, Action, ActionStatus, Incident};
use super::policy::Policy;
use crate::reason::{Action as Remedy, Remedy as Proposal};

/// Whether the agent can carry `remedy` out itself.
pub fn executable(remedy: Remedy) -> bool {
    remedy == Remedy::Rollback
}

/// The action for `incident`'s first proposed remedy, or `None` when the
/// report proposes nothing.
pub fn propose(incident: &Incident, policy: &Policy, now_ms: i64) -> Option<Action> {
    let report = incident.report.as_ref()?;
    let first = report.proposed_actions.first()?;
    let category = name_of(&report.root_cause.category);
    let mut action = request(
        &incident.incident_id,
        &incident.model,
        &incident.environment,
        first,
        "agent",
        policy,
        now_ms,
    );
    action.root_cause = category;
    action.version = report.root_cause.version.clone().unwrap_or_default();
    action.alert_id = incident.opened_by.clone();
    action.evidence = report.evidence.iter().map(|e| e.claim.clone()).collect();
    Some(action)
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
    fn the_policy_decides_whether_a_rollback_waits_and_other_remedies_are_proposals() {
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
        let proposed = request("i", "churn", "staging", &retrain, "agent", &auto, 5);
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
