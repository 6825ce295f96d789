//! Registered models and their aliases.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::client::call;
use crate::{ModelVersion, RegisteredModel, Registry, RegistryError, Result};

#[derive(Deserialize)]
struct One {
    registered_model: RegisteredModel,
}

#[derive(Deserialize)]
struct Aliased {
    model_version: ModelVersion,
}

#[derive(Deserialize)]
struct Empty {}

impl Registry {
    /// Creates registered model `name` (MLflow refuses an existing name
    /// with `RESOURCE_ALREADY_EXISTS`).
    pub fn create_model(&self, name: &str) -> Result<RegisteredModel> {
        let call = call("registered-models/create", name);
        let body = json!({ "name": name });
        let one: One = self.call(&call, Method::POST, "registered-models/create", &body)?;
        Ok(one.registered_model)
    }

    /// Registered model `name` with its tags and aliases
    /// ([`RegistryError::NotFound`] when there is none).
    pub fn model(&self, name: &str) -> Result<RegisteredModel> {
        let call = call("registered-models/get", name);
        let one: One = self.get(&call, "registered-models/get", &[("name", name)])?;
        Ok(one.registered_model)
    }

    /// Registered models matching MLflow's `filter` (`name LIKE 'churn%'`;
    /// empty: all), every page.
    pub fn search_models(&self, filter: &str) -> Result<Vec<RegisteredModel>> {
        self.search(
            "registered-models/search",
            "registered_models",
            filter,
            1000,
        )
    }

    /// Sets tag `key` of registered model `name` to `value`.
    pub fn set_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        let call = call("registered-models/set-tag", format!("{name} {key}"));
        let body = json!({ "name": name, "key": key, "value": value });
        let _: Empty = self.call(&call, Method::POST, "registered-models/set-tag", &body)?;
        Ok(())
    }

    /// Points `alias` of model `name` at `version` (moving it if set).
    pub fn set_alias(&self, name: &str, alias: &str, version: &str) -> Result<()> {
        let call = call(
            "registered-models/alias",
            format!("set {name}@{alias}={version}"),
        );
        // The version is a string in MLflow's API: a number is refused.
        let body = json!({ "name": name, "alias": alias, "version": version });
        let _: Empty = self.call(&call, Method::POST, "registered-models/alias", &body)?;
        Ok(())
    }

    /// The version `alias` of model `name` names, or `None` when the alias
    /// is not set. MLflow 3.17 answers a missing alias with 400
    /// `INVALID_PARAMETER_VALUE` ("... alias X not found"), not 404; a
    /// missing model is still an error.
    pub fn alias(&self, name: &str, alias: &str) -> Result<Option<ModelVersion>> {
        let call = call("registered-models/alias", format!("get {name}@{alias}"));
        let query = [("name", name), ("alias", alias)];
        match self.get::<Aliased>(&call, "registered-models/alias", &query) {
            Ok(found) => Ok(Some(found.model_version)),
            Err(RegistryError::Api {
                status: 400,
                code,
                message,
                ..
            }) if code == "INVALID_PARAMETER_VALUE" && message.ends_with("not found.") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Removes `alias` of model `name` (nothing happens when it is not
    /// set). MLflow reads the DELETE's parameters from a JSON body.
    pub fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        let call = call("registered-models/alias", format!("delete {name}@{alias}"));
        let body = json!({ "name": name, "alias": alias });
        let _: Empty = self.call(&call, Method::DELETE, "registered-models/alias", &body)?;
        Ok(())
    }
}
