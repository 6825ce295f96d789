//! Moving one incident through the graph: the I/O around the pure nodes.
//! Each call does at most one node's work and saves what changed, so a
//! kill at any point leaves a record the next worker continues from.

use mlobs_schemas::time::now_ms;

use super::execute::{execute, Executor};
use super::{Worker, WorkerError};
use crate::graph::verify::{judge, Objective, Verdict};
use crate::graph::{act, Action, ActionStatus, Incident, IncidentStatus, Node};
use crate::narrator::Narration;
use crate::reason::InvestigationReport;

impl Worker {
    /// Advances open incident `id` by one node, if it can move.
    pub(super) fn advance(&mut self, id: &str) -> Result<(), WorkerError> {
        let Some(mut incident) = self.incidents.get(id).cloned() else {
            return Ok(());
        };
        if incident.status != IncidentStatus::Open {
            return Ok(());
        }
        let before = incident.clone();
        let folded = self.dirty.remove(id);
        match incident.node {
            Node::Monitor | Node::Investigate | Node::Reason => self.investigate(&mut incident)?,
            Node::Act => self.act(&mut incident)?,
            Node::Verify => self.verify(&mut incident)?,
            Node::Closed => {}
        }
        if incident.status != before.status {
            let status = crate::graph::incident::name_of(&incident.status);
            self.metrics.agent_incident(&status);
        }
        if folded || incident != before {
            incident.updated_ms = now_ms();
            self.store.save_incident(&incident)?;
            tracing::info!(
                incident = %incident.incident_id,
                model = %incident.model,
                node = ?incident.node,
                status = ?incident.status,
                resolution = %incident.resolution,
                "incident moved"
            );
            self.incidents
                .insert(incident.incident_id.clone(), incident);
        }
        Ok(())
    }

    /// Investigate and Reason: the report, then the Act node's proposal.
    fn investigate(&mut self, incident: &mut Incident) -> Result<(), WorkerError> {
        let for_windows = self.rules.for_model(&incident.model).for_windows;
        let report = match crate::investigate::run(&self.tools, &incident.model, None, for_windows)
        {
            Ok(report) => report,
            Err(error) => {
                // The history may not hold the windows yet: try again at
                // the next tick.
                tracing::info!(incident = %incident.incident_id, %error, "investigation not possible yet");
                incident.node = Node::Investigate;
                return Ok(());
            }
        };
        incident.narration = self.narrate(&incident.incident_id, &report);
        incident.report = Some(report);
        let mut proposed = act::propose(incident, &self.policy, now_ms()).into_iter();
        let Some(first) = proposed.next() else {
            close(
                incident,
                IncidentStatus::Escalated,
                "the investigation proposed no remedy".into(),
            );
            return Ok(());
        };
        incident.action_id = Some(self.record_proposal(incident, first)?);
        for follow_up in proposed {
            let id = self.record_proposal(incident, follow_up)?;
            incident.follow_up_ids.push(id);
        }
        incident.node = Node::Act;
        Ok(())
    }

    /// Saves a proposed action (a retrain with the onset of the change its
    /// data starts from) unless it is already recorded, from before a
    /// crash: one key, one action. Returns its id.
    fn record_proposal(
        &mut self,
        incident: &Incident,
        mut proposed: Action,
    ) -> Result<String, WorkerError> {
        let id = proposed.action_id.clone();
        if !self.actions.contains_key(&id) {
            if proposed.action == crate::reason::Action::Retrain {
                proposed.since_ms = self.onset(incident);
            }
            self.store.save_action(&proposed)?;
            super::store::merge(&mut self.actions, proposed);
        }
        Ok(id)
    }

    /// When the incident's change began, from the recent windows: the
    /// first of the newest run in which the diagnosed feature drifted, or
    /// else in which accuracy was below the objective.
    fn onset(&self, incident: &Incident) -> Option<i64> {
        let clickhouse = self.clickhouse.as_ref()?;
        let windows = match mlobs_retrain::watch::recent_windows(clickhouse, &incident.model) {
            Ok(windows) => windows,
            Err(error) => {
                tracing::warn!(incident = %incident.incident_id, %error, "a retrain will use the configured window");
                return None;
            }
        };
        let feature = incident
            .report
            .as_ref()
            .and_then(|r| r.root_cause.feature.clone());
        let min_accuracy = self.rules.for_model(&incident.model).min_accuracy;
        match feature {
            Some(f) => mlobs_retrain::triggers::onset(&windows, |w| w.drifted.contains(&f)),
            None => mlobs_retrain::triggers::onset(&windows, |w| {
                w.accuracy.is_some_and(|a| a < min_accuracy)
            }),
        }
    }

    /// Act: waits for a decision, executes an approved action once.
    fn act(&mut self, incident: &mut Incident) -> Result<(), WorkerError> {
        let Some(action) = incident
            .action_id
            .as_ref()
            .and_then(|id| self.actions.get(id))
            .cloned()
        else {
            close(
                incident,
                IncidentStatus::Escalated,
                "its action record is missing".into(),
            );
            return Ok(());
        };
        match action.status {
            ActionStatus::AwaitingApproval => {}
            ActionStatus::Approved | ActionStatus::Executing => self.carry_out(action)?,
            ActionStatus::Executed => {
                // Option B after Option A: an approved follow-up runs
                // before verification starts, so the windows judged are
                // those after every remedy.
                let next = incident
                    .follow_up_ids
                    .iter()
                    .filter_map(|id| self.actions.get(id))
                    .find(|a| matches!(a.status, ActionStatus::Approved | ActionStatus::Executing))
                    .cloned();
                if let Some(follow_up) = next {
                    return self.carry_out(follow_up);
                }
                let now = self.tools.newest_prediction_ms(&incident.model);
                incident.verify_after_ms = Some(now.unwrap_or(0));
                incident.node = Node::Verify;
            }
            ActionStatus::Rejected => close(
                incident,
                IncidentStatus::Escalated,
                format!(
                    "{} rejected its action ({})",
                    action.decided_by, action.result
                ),
            ),
            ActionStatus::Failed => close(
                incident,
                IncidentStatus::Escalated,
                format!("its action failed: {}", action.result),
            ),
            ActionStatus::ProposedOnly => close(
                incident,
                IncidentStatus::Escalated,
                format!(
                    "proposed {} for a person to carry out: {}",
                    crate::graph::incident::name_of(&action.action),
                    action.expected_effect
                ),
            ),
        }
        Ok(())
    }

    /// Executes `action` at most once: saved as executing before the call,
    /// with its outcome after.
    pub(super) fn carry_out(&mut self, action: Action) -> Result<(), WorkerError> {
        if let Some(recent) = self.retrain_in_cooldown(&action) {
            let mut skipped = action;
            skipped.status = ActionStatus::Failed;
            skipped.result = recent;
            skipped.updated_ms = now_ms();
            self.store.save_action(&skipped)?;
            super::store::merge(&mut self.actions, skipped);
            return Ok(());
        }
        let mut executing = action;
        executing.status = ActionStatus::Executing;
        executing.updated_ms = now_ms();
        self.store.save_action(&executing)?;
        let executor = Executor {
            registry: self.tools.registry(),
            clickhouse: self.clickhouse.as_ref(),
            retrain: &self.retrain,
        };
        let done = execute(&executor, &executing);
        self.store.save_action(&done)?;
        tracing::info!(action = %done.action_id, status = ?done.status, result = %done.result, "action carried out");
        let (action, status) = (
            crate::graph::incident::name_of(&done.action),
            crate::graph::incident::name_of(&done.status),
        );
        self.metrics.agent_action(&action, &status);
        super::store::merge(&mut self.actions, done);
        Ok(())
    }

    /// The narrator's words for `report`, when one is configured and its
    /// answer holds up against the evidence.
    fn narrate(&self, incident: &str, report: &InvestigationReport) -> Option<Narration> {
        let narrator = self.narrator.as_ref()?;
        match narrator.narrate(report) {
            Ok(narration) => {
                self.metrics.agent_narration("used");
                Some(narration)
            }
            Err(error) => {
                self.metrics.agent_narration(error.outcome());
                tracing::warn!(incident, %error, "narration left out; the deterministic report stands");
                None
            }
        }
    }

    /// Verify: the windows after the action decide.
    fn verify(&mut self, incident: &mut Incident) -> Result<(), WorkerError> {
        let after = incident.verify_after_ms.unwrap_or(0);
        let windows = match self.tools.windows_after(&incident.model, after) {
            Ok(windows) => windows,
            Err(error) => {
                tracing::info!(incident = %incident.incident_id, %error, "no windows to verify yet");
                return Ok(());
            }
        };
        let thresholds = self.rules.for_model(&incident.model);
        let objective = Objective {
            min_accuracy: thresholds.min_accuracy,
            min_labeled: thresholds.min_labeled,
            for_windows: thresholds.for_windows as usize,
            verify_windows: self.verify_windows,
        };
        // What was done, in the order it was done: the opening words of
        // the resolution.
        let done: Vec<String> = incident
            .action_id
            .iter()
            .chain(&incident.follow_up_ids)
            .filter_map(|id| self.actions.get(id))
            .filter(|a| a.status == ActionStatus::Executed)
            .map(|a| a.result.clone())
            .collect();
        let done = done.join("; ");
        match judge(&windows, objective, &done) {
            Verdict::Pending => {}
            Verdict::Resolved(text) => close(incident, IncidentStatus::Resolved, text),
            Verdict::Escalated(text) => close(incident, IncidentStatus::Escalated, text),
        }
        Ok(())
    }
}

fn close(incident: &mut Incident, status: IncidentStatus, resolution: String) {
    incident.status = status;
    incident.node = Node::Closed;
    incident.resolution = resolution;
}
