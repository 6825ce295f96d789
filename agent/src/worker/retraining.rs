//! Retraining in the worker: the per-model triggers of `[retrain.models]`
//! (accuracy, drift on critical features, schedule), checked every
//! [`TRIGGER_CHECK_EVERY`], and the cool-down that holds back a job, by
//! trigger or by incident, within `cooldown_ms` of the model's last one.
//! A triggered job is an action like the agent's own (`requested_by`
//! names the trigger), so it is carried out, recorded and counted the
//! same way.

use std::time::{Duration, Instant};

use mlobs_retrain::triggers::{cooling_down, due};
use mlobs_retrain::watch::recent_windows;
use mlobs_schemas::time::{format_rfc3339, now_ms};

use super::{Worker, WorkerError};
use crate::graph::incident::action_id;
use crate::graph::{Action, ActionStatus};
use crate::reason::Action as Remedy;

/// How often the triggers look at the history.
pub const TRIGGER_CHECK_EVERY: Duration = Duration::from_secs(5);

impl Worker {
    /// When the model's last retrain started, wall ms: the newest retrain
    /// action that ran (executing, executed, or failed after starting).
    fn last_retrain_ms(&self, model: &str, except: &str) -> Option<i64> {
        self.actions
            .values()
            .filter(|a| a.model == model && a.action == Remedy::Retrain && a.action_id != except)
            .filter(|a| matches!(a.status, ActionStatus::Executing | ActionStatus::Executed))
            .map(|a| a.updated_ms)
            .max()
    }

    /// Why `action` must not start now, when it is a retrain within the
    /// cool-down of the model's last one.
    pub(super) fn retrain_in_cooldown(&self, action: &Action) -> Option<String> {
        if action.action != Remedy::Retrain {
            return None;
        }
        let cooldown = self.retrain.triggers(&action.model).cooldown_ms as i64;
        let last = self.last_retrain_ms(&action.model, &action.action_id)?;
        let ago = now_ms() - last;
        (ago < cooldown).then(|| {
            format!(
                "not started: a retrain of {} ran {} s ago, within the cool-down of {} s (retrain.models.{}.cooldown_ms)",
                action.model,
                ago / 1000,
                cooldown / 1000,
                action.model
            )
        })
    }

    /// Starts the jobs that the triggers of `[retrain.models]` call for.
    pub(super) fn check_triggers(&mut self) -> Result<(), WorkerError> {
        if self.triggers_checked.elapsed() < TRIGGER_CHECK_EVERY {
            return Ok(());
        }
        self.triggers_checked = Instant::now();
        let Some(clickhouse) = self.clickhouse.clone() else {
            return Ok(());
        };
        let models: Vec<String> = self.retrain.models.keys().cloned().collect();
        for model in models {
            let windows = match recent_windows(&clickhouse, &model) {
                Ok(windows) => windows,
                Err(error) => {
                    tracing::warn!(model, %error, "retrain triggers not checked this time");
                    continue;
                }
            };
            let triggers = self.retrain.triggers(&model);
            let last = self.last_retrain_ms(&model, "");
            let now = now_ms();
            let Some(due) = due(&triggers, &windows, last, self.started_ms, now) else {
                continue;
            };
            if cooling_down(&triggers, last, now) {
                self.metrics
                    .retrain_trigger(&model, due.trigger, "cooldown");
                tracing::debug!(
                    model,
                    trigger = due.trigger,
                    "retrain trigger held back by the cool-down"
                );
                continue;
            }
            self.metrics.retrain_trigger(&model, due.trigger, "started");
            let key = format!("trigger/{model}/{}", format_rfc3339(now));
            let action = Action {
                action_id: action_id(&key, Remedy::Retrain, None),
                incident_id: String::new(),
                model: model.clone(),
                environment: String::new(),
                action: Remedy::Retrain,
                target_version: None,
                expected_effect: due.reason.clone(),
                root_cause: String::new(),
                version: String::new(),
                alert_id: String::new(),
                evidence: Vec::new(),
                since_ms: due.since_ms,
                status: ActionStatus::Approved,
                requested_by: format!("trigger:{}", due.trigger),
                decided_by: format!("retrain.models.{model}"),
                result: String::new(),
                created_ms: now,
                updated_ms: now,
            };
            tracing::info!(model, trigger = due.trigger, reason = %due.reason, "retrain triggered");
            self.store.save_action(&action)?;
            super::store::merge(&mut self.actions, action);
        }
        Ok(())
    }
}
