//! `mlobs retrain`: the job that answers drift with a new version (seed
//! section 6). It reads recent labeled production rows from ClickHouse,
//! mixes in a bounded share of the champion's training rows, trains the
//! simulator's logistic regression ([`mlobs_trainer`]), judges the result
//! against the champion on the newest rows neither trained on, registers
//! it in MLflow and promotes it when the policy allows ([`job`]). Every
//! step is a row of `agent_actions` ([`steps`]).
//!
//! [`triggers`] decides when a job starts on its own (accuracy, drift on
//! critical features, a schedule), with a cool-down; the agent worker
//! evaluates them, and runs the job for its `retrain` remedy.
//!
//! The job is a plain blocking function, so the same code runs as `mlobs
//! retrain` (a process, or a Kubernetes Job: `infra/k8s/retrain-job.yaml`)
//! and inside the agent worker.

pub mod data;
pub mod dataset;
pub mod job;
pub mod judge;
pub mod profile;
pub mod steps;
pub mod triggers;
pub mod watch;

use mlobs_pipeline::sinks::clickhouse::ClickHouseError;
use mlobs_registry::serving::ServingError;
use mlobs_registry::RegistryError;

pub use job::{run, Outcome, Request, Services};

/// Why a job stopped.
#[derive(Debug, thiserror::Error)]
pub enum RetrainError {
    /// Too few labeled rows to train and judge on.
    #[error("not enough data: {0}")]
    NoData(String),
    /// The rows keep hashes, not features.
    #[error("refused: {0}")]
    Privacy(String),
    /// The registry holds nothing the job can start from.
    #[error("{0}")]
    Registry(String),
    /// The trainer refused the data.
    #[error("training failed: {0}")]
    Training(String),
    /// ClickHouse failed.
    #[error(transparent)]
    ClickHouse(#[from] ClickHouseError),
    /// MLflow failed.
    #[error("MLflow: {0}")]
    Mlflow(#[from] RegistryError),
    /// An alias could not move.
    #[error(transparent)]
    Serving(#[from] ServingError),
}

impl RetrainError {
    /// True for a refusal about the data or the registry's contents, which
    /// the user must change (rather than a service that failed).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            RetrainError::NoData(_) | RetrainError::Privacy(_) | RetrainError::Registry(_)
        )
    }
}
