//! The shapes MLflow answers with, as far as mlobs reads them. Fields
//! MLflow leaves out when empty (tags, aliases) default to empty.

use serde::{Deserialize, Serialize};

/// A key and value attached to a model, version or run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The tag's name, e.g. `mlobs.baseline.uri`.
    pub key: String,
    /// Its value (MLflow keeps up to 100,000 characters on a version).
    pub value: String,
}

/// An alias of a registered model and the version it names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Alias {
    /// `champion`, `challenger`, ...
    pub alias: String,
    /// The version, a string in MLflow's API (`"3"`).
    pub version: String,
}

/// A registered model, as `registered-models/get` shows it (the only call
/// that lists its aliases).
#[derive(Debug, Clone, Deserialize)]
pub struct RegisteredModel {
    /// Its unique name.
    pub name: String,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub creation_timestamp: i64,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Model-level tags (mlobs keeps the traffic share here).
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Every alias and its version.
    #[serde(default)]
    pub aliases: Vec<Alias>,
}

impl RegisteredModel {
    /// The value of tag `key`, if set.
    pub fn tag(&self, key: &str) -> Option<&str> {
        find(&self.tags, key)
    }

    /// The version `alias` names, if set.
    pub fn alias(&self, alias: &str) -> Option<&str> {
        self.aliases
            .iter()
            .find(|a| a.alias == alias)
            .map(|a| a.version.as_str())
    }
}

/// One version of a registered model.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelVersion {
    /// The registered model's name.
    pub name: String,
    /// The version number as MLflow sends it: a string.
    pub version: String,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub creation_timestamp: i64,
    /// Where the model's files are (`runs:/...`, `mlflow-artifacts:/...`).
    #[serde(default)]
    pub source: String,
    /// The run that produced it, if any.
    #[serde(default)]
    pub run_id: String,
    /// `READY`, `PENDING_REGISTRATION`, `FAILED_REGISTRATION`.
    #[serde(default)]
    pub status: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Version-level tags (baseline, audit).
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Aliases naming this version (only `model-versions/get` and the
    /// alias lookup fill it; `model-versions/search` does not).
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl ModelVersion {
    /// The value of tag `key`, if set.
    pub fn tag(&self, key: &str) -> Option<&str> {
        find(&self.tags, key)
    }
}

/// A run, as far as its identity and artifact location go.
#[derive(Debug, Clone, Deserialize)]
pub struct Run {
    /// The run's id.
    pub run_id: String,
    /// The experiment it belongs to.
    pub experiment_id: String,
    /// Root of its artifacts, `mlflow-artifacts:/<exp>/<run>/artifacts`
    /// on a server that proxies artifacts.
    pub artifact_uri: String,
    /// `RUNNING`, `FINISHED`, ...
    #[serde(default)]
    pub status: String,
}

fn find<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
}
