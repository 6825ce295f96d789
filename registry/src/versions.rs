//! Model versions: create, read, search, tag, describe.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::client::call;
use crate::{ModelVersion, Registry, Result};

#[derive(Deserialize)]
struct One {
    model_version: ModelVersion,
}

#[derive(Deserialize)]
struct Empty {}

impl Registry {
    /// Registers a new version of model `name` whose files are at `source`
    /// (`runs:/<run>/<path>`, or `mlflow-artifacts:/...` with `run_id`;
    /// MLflow refuses a bare local path). MLflow numbers it.
    pub fn create_version(&self, name: &str, source: &str, run_id: &str) -> Result<ModelVersion> {
        let call = call("model-versions/create", format!("{name} from {source}"));
        let body = json!({ "name": name, "source": source, "run_id": run_id });
        let one: One = self.call(&call, Method::POST, "model-versions/create", &body)?;
        Ok(one.model_version)
    }

    /// Version `version` of model `name`
    /// ([`crate::RegistryError::NotFound`] when either does not exist).
    pub fn version(&self, name: &str, version: &str) -> Result<ModelVersion> {
        let call = call("model-versions/get", format!("{name} v{version}"));
        let query = [("name", name), ("version", version)];
        let one: One = self.get(&call, "model-versions/get", &query)?;
        Ok(one.model_version)
    }

    /// Versions matching MLflow's `filter` (`name = 'churn'`,
    /// ``tags.`mlobs.baseline.uri` LIKE '%'``), every page. MLflow serves
    /// this search on GET only, and its answer carries no aliases.
    pub fn search_versions(&self, filter: &str) -> Result<Vec<ModelVersion>> {
        self.search("model-versions/search", "model_versions", filter, 10_000)
    }

    /// Sets tag `key` of version `version` of model `name` to `value`.
    pub fn set_version_tag(&self, name: &str, version: &str, key: &str, value: &str) -> Result<()> {
        let call = call("model-versions/set-tag", format!("{name} v{version} {key}"));
        let body = json!({ "name": name, "version": version, "key": key, "value": value });
        let _: Empty = self.call(&call, Method::POST, "model-versions/set-tag", &body)?;
        Ok(())
    }

    /// Replaces the description of version `version` of model `name`
    /// (MLflow serves this update on PATCH).
    pub fn update_version(
        &self,
        name: &str,
        version: &str,
        description: &str,
    ) -> Result<ModelVersion> {
        let call = call("model-versions/update", format!("{name} v{version}"));
        let body = json!({ "name": name, "version": version, "description": description });
        let one: One = self.call(&call, Method::PATCH, "model-versions/update", &body)?;
        Ok(one.model_version)
    }
}
