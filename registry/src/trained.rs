//! Models that mlobs trains itself (the simulator's versions, `mlobs
//! retrain`'s replacements) and how they sit in the registry: each version
//! is a run whose artifacts are the weights (`model/weights.json`, the
//! version's `source` is that `model` folder) and the rows it was trained
//! on (`data/training.jsonl`, named by the version tag
//! [`TRAINING_DATA_TAG`]: the lineage a retrain starts from). One layout,
//! so that whoever registered a version, the simulator can serve it and a
//! retrain can read it.

use crate::{ModelVersion, Registry, Result, Tag};

/// Artifact path of the weights, under the run.
pub const WEIGHTS: &str = "model/weights.json";
/// Artifact path of the training rows, under the run.
pub const TRAINING_DATA: &str = "data/training.jsonl";
/// Version tag: the URI of the rows the version was trained on.
pub const TRAINING_DATA_TAG: &str = "mlobs.training_data";

/// What to register: the run's name, its artifacts, metrics and tags.
#[derive(Debug, Clone, Default)]
pub struct Trained {
    /// The run's name in its experiment.
    pub run_name: String,
    /// The weights' JSON.
    pub weights: String,
    /// The training rows as JSON lines.
    pub training_data: String,
    /// Metrics of the run (holdout accuracy and the like).
    pub metrics: Vec<(&'static str, f64)>,
    /// Tags of the new version (lineage, features read).
    pub tags: Vec<Tag>,
}

impl Registry {
    /// Registers `trained` as a new version of `model` from a run of
    /// `experiment` (created when missing); the run ends FINISHED once its
    /// artifacts are stored, or FAILED when one is not.
    pub fn register_trained(
        &self,
        experiment: &str,
        model: &str,
        trained: &Trained,
        now_ms: i64,
    ) -> Result<ModelVersion> {
        let experiment = self.experiment(experiment)?;
        if self.model(model).is_err() {
            self.create_model(model)?;
        }
        let run = self.create_run(&experiment, &trained.run_name, now_ms, &[])?;
        let stored = (|| {
            let weights = self.put_artifact(&run, WEIGHTS, trained.weights.clone().into_bytes())?;
            let data = self.put_artifact(
                &run,
                TRAINING_DATA,
                trained.training_data.clone().into_bytes(),
            )?;
            if !trained.metrics.is_empty() {
                self.log_metrics(&run.run_id, &trained.metrics, now_ms)?;
            }
            Ok::<_, crate::RegistryError>((weights, data))
        })();
        let (weights, data) = match stored {
            Ok(uris) => uris,
            Err(error) => {
                // The run is marked so a reader of the experiment knows it
                // is incomplete; the error that matters is the first one.
                let _ = self.end_run(&run.run_id, "FAILED", now_ms);
                return Err(error);
            }
        };
        self.end_run(&run.run_id, "FINISHED", now_ms)?;
        let source = weights.trim_end_matches("/weights.json");
        let version = self.create_version(model, source, &run.run_id)?;
        self.set_version_tag(model, &version.version, TRAINING_DATA_TAG, &data)?;
        for tag in &trained.tags {
            self.set_version_tag(model, &version.version, &tag.key, &tag.value)?;
        }
        self.version(model, &version.version)
    }

    /// The weights' JSON of `version` (from its `source` folder).
    pub fn weights(&self, version: &ModelVersion) -> Result<String> {
        let uri = format!("{}/weights.json", version.source.trim_end_matches('/'));
        self.get_artifact(&uri)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The training rows (JSON lines) of `version`, when it names them.
    pub fn training_data(&self, version: &ModelVersion) -> Result<Option<String>> {
        match version.tag(TRAINING_DATA_TAG) {
            Some(uri) => self
                .get_artifact(uri)
                .map(|bytes| Some(String::from_utf8_lossy(&bytes).into_owned())),
            None => Ok(None),
        }
    }
}
