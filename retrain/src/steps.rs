//! Every step of a job as a row of `agent_actions` (`retrain.fetch`,
//! `retrain.dataset`, ...), keyed `<job>/<n>-<step>`, so that the agent's
//! audit trail shows what the job did and where it stopped, whoever
//! started it.

use mlobs_pipeline::sinks::clickhouse::action_row::ActionRow;
use mlobs_pipeline::sinks::clickhouse::{columns, ClickHouse};
use mlobs_schemas::time::now_ms;

use crate::RetrainError;

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// `fetch`, `dataset`, `train`, `evaluate`, `register`, `challenger`, `promote`.
    pub step: &'static str,
    /// `executed`, `failed`, or `awaiting_approval` (a promotion left to a person).
    pub status: &'static str,
    /// What happened, in words.
    pub result: String,
}

/// Records steps as they finish.
pub struct Steps<'a> {
    clickhouse: &'a ClickHouse,
    /// The row every step starts from (job, model, who asked).
    template: ActionRow,
    /// The steps so far.
    pub done: Vec<StepRecord>,
}

impl<'a> Steps<'a> {
    /// Steps of the job `template.action_id` on `template.model`.
    pub fn new(clickhouse: &'a ClickHouse, template: ActionRow) -> Steps<'a> {
        Steps {
            clickhouse,
            template,
            done: Vec::new(),
        }
    }

    /// Runs `work` as step `step`, records how it went, and passes its
    /// value or error on. `work` says in words what it did.
    pub fn run<T>(
        &mut self,
        step: &'static str,
        work: impl FnOnce() -> Result<(T, String), RetrainError>,
    ) -> Result<T, RetrainError> {
        let started = now_ms();
        match work() {
            Ok((value, result)) => {
                self.record(step, "executed", result, started);
                Ok(value)
            }
            Err(error) => {
                self.record(step, "failed", error.to_string(), started);
                Err(error)
            }
        }
    }

    /// Records a step that did not run as work (a decision left to a person).
    pub fn record(
        &mut self,
        step: &'static str,
        status: &'static str,
        result: String,
        started_ms: i64,
    ) {
        tracing::info!(job = %self.template.action_id, model = %self.template.model, step, status, %result, "retrain step");
        let row = ActionRow {
            action_id: format!("{}/{}-{step}", self.template.action_id, self.done.len() + 1),
            action: format!("retrain.{step}"),
            status: status.to_string(),
            result: result.clone(),
            ..self.template.clone()
        }
        .at(started_ms, now_ms());
        if let Err(error) =
            columns::insert_as_declared::<ActionRow>(self.clickhouse, "agent_actions", &[row])
        {
            tracing::warn!(%error, step, "the step is not recorded in agent_actions");
        }
        self.done.push(StepRecord {
            step,
            status,
            result,
        });
    }

    /// The version the job created, on the rows of the steps after it.
    pub fn target(&mut self, version: &str) {
        self.template.target_version = version.to_string();
    }
}
