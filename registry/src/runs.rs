//! Experiments and runs: the place MLflow keeps artifacts, so a baseline
//! gets a run of its own.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::client::call;
use crate::{Registry, Result, Run, Tag};

#[derive(Deserialize)]
struct Experiment {
    experiment: ExperimentInfo,
}

#[derive(Deserialize)]
struct ExperimentInfo {
    experiment_id: String,
}

#[derive(Deserialize)]
struct Created {
    experiment_id: String,
}

#[derive(Deserialize)]
struct RunAnswer {
    run: RunBody,
}

#[derive(Deserialize)]
struct RunBody {
    info: Run,
}

#[derive(Deserialize)]
struct Updated {
    run_info: Run,
}

#[derive(Deserialize)]
struct Empty {}

impl Registry {
    /// The id of experiment `name`, created when missing. Two callers
    /// racing to create it both end with the same id (the loser reads the
    /// winner's).
    pub fn experiment(&self, name: &str) -> Result<String> {
        let by_name = |registry: &Registry| {
            let call = call("experiments/get-by-name", name);
            let query = [("experiment_name", name)];
            registry
                .get::<Experiment>(&call, "experiments/get-by-name", &query)
                .map(|e| e.experiment.experiment_id)
        };
        match by_name(self) {
            Err(e) if e.is_not_found() => {}
            found => return found,
        }
        let call = call("experiments/create", name);
        let body = json!({ "name": name });
        match self.call::<Created>(&call, Method::POST, "experiments/create", &body) {
            Ok(created) => Ok(created.experiment_id),
            Err(e) if e.code() == Some("RESOURCE_ALREADY_EXISTS") => by_name(self),
            Err(e) => Err(e),
        }
    }

    /// Starts a run named `run_name` in experiment `experiment_id`, with
    /// `tags`, at `start_ms`.
    pub fn create_run(
        &self,
        experiment_id: &str,
        run_name: &str,
        start_ms: i64,
        tags: &[Tag],
    ) -> Result<Run> {
        let call = call(
            "runs/create",
            format!("{run_name} in experiment {experiment_id}"),
        );
        let body = json!({
            "experiment_id": experiment_id,
            "run_name": run_name,
            "start_time": start_ms,
            "tags": tags,
        });
        let answer: RunAnswer = self.call(&call, Method::POST, "runs/create", &body)?;
        Ok(answer.run.info)
    }

    /// Logs `params` and `tags` on run `run_id` in one request.
    pub fn log_batch(&self, run_id: &str, params: &[Tag], tags: &[Tag]) -> Result<()> {
        let call = call("runs/log-batch", run_id);
        let body = json!({ "run_id": run_id, "params": params, "tags": tags });
        let _: Empty = self.call(&call, Method::POST, "runs/log-batch", &body)?;
        Ok(())
    }

    /// Logs `metrics` (name, value) on run `run_id` at `at_ms`, step 0.
    pub fn log_metrics(&self, run_id: &str, metrics: &[(&str, f64)], at_ms: i64) -> Result<()> {
        let call = call("runs/log-batch", format!("{run_id} metrics"));
        let metrics: Vec<serde_json::Value> = metrics
            .iter()
            .map(
                |(key, value)| json!({ "key": key, "value": value, "timestamp": at_ms, "step": 0 }),
            )
            .collect();
        let body = json!({ "run_id": run_id, "metrics": metrics });
        let _: Empty = self.call(&call, Method::POST, "runs/log-batch", &body)?;
        Ok(())
    }

    /// Marks run `run_id` `status` (`FINISHED`, `FAILED`) at `end_ms`.
    pub fn end_run(&self, run_id: &str, status: &str, end_ms: i64) -> Result<Run> {
        let call = call("runs/update", format!("{run_id} {status}"));
        let body = json!({ "run_id": run_id, "status": status, "end_time": end_ms });
        let answer: Updated = self.call(&call, Method::POST, "runs/update", &body)?;
        Ok(answer.run_info)
    }
}
