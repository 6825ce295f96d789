//! `[alerts]`: the rules stage 2 evaluates on every completed window.
//!
//! ```toml
//! [alerts]
//! enabled = true
//! [alerts.defaults]          # every model
//! min_accuracy = 0.95
//! [alerts.models.churn]      # only what differs for churn
//! critical_features = ["monthly_charges", "tenure"]
//! ```

use std::collections::BTreeMap;

use mlobs_operators::alerts::AlertThresholds;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[alerts]`: whether the rules run, their defaults and per-model overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Evaluate the rules in stage 2 and publish `AlertEvent`s.
    pub enabled: bool,
    /// The thresholds of every model without an override.
    pub defaults: AlertThresholds,
    /// Per model, the thresholds that differ from the defaults (a partial
    /// table: the keys of `[alerts.defaults]`).
    pub models: BTreeMap<String, toml::Table>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            enabled: true,
            defaults: AlertThresholds::default(),
            models: BTreeMap::new(),
        }
    }
}

/// The thresholds of every model, resolved from [`AlertsConfig`].
#[derive(Debug, Clone, Default)]
pub struct AlertRules {
    defaults: AlertThresholds,
    models: BTreeMap<String, AlertThresholds>,
}

impl AlertRules {
    /// The thresholds of `model`.
    pub fn for_model(&self, model: &str) -> &AlertThresholds {
        self.models.get(model).unwrap_or(&self.defaults)
    }
}

impl AlertsConfig {
    /// Each model's thresholds: the defaults with its overrides laid over,
    /// or what is wrong with them (an unknown key, a value out of range).
    pub fn rules(&self) -> Result<AlertRules, ConfigError> {
        let invalid = |key: String, value: String, allowed: String| ConfigError::Invalid {
            key,
            value,
            allowed,
        };
        if let Some(problem) = self.defaults.problems().into_iter().next() {
            return Err(invalid("alerts.defaults".into(), String::new(), problem));
        }
        let defaults = toml::Table::try_from(&self.defaults).expect("thresholds serialize");
        let mut models = BTreeMap::new();
        for (model, overrides) in &self.models {
            let key = format!("alerts.models.{model}");
            let mut merged = defaults.clone();
            merged.extend(overrides.clone());
            let thresholds: AlertThresholds = merged.try_into().map_err(|e: toml::de::Error| {
                invalid(
                    key.clone(),
                    toml::Value::Table(overrides.clone()).to_string(),
                    format!("{} (the keys are those of [alerts.defaults])", e.message()),
                )
            })?;
            if let Some(problem) = thresholds.problems().into_iter().next() {
                return Err(invalid(key, String::new(), problem));
            }
            models.insert(model.clone(), thresholds);
        }
        Ok(AlertRules {
            defaults: self.defaults.clone(),
            models,
        })
    }
}
