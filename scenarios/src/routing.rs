//! Which versions serve a registry-served model (`serving = "registry"`):
//! what the registry said when the servers last asked. Whoever talks to the
//! registry (the CLI) writes it while the run goes on; the run reads it for
//! every request, so a rollback shows in the next prediction after the
//! servers' next look.
//!
//! The registry may name a version the scenario never trained (one that
//! `mlobs retrain` registered while the run went on): its weights are
//! handed over with [`Routing::add_version`], and it serves like the
//! others, with the latency of the scenario's newest version.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use mlobs_trainer::Logistic;

use crate::model::Model;
use crate::SimError;

/// Per model, the share of traffic of each version (by name) and the
/// versions added while the run goes on.
#[derive(Debug, Clone, Default)]
pub struct Routing(Arc<RwLock<BTreeMap<String, Routes>>>);

#[derive(Debug, Default)]
struct Routes {
    shares: BTreeMap<String, f64>,
    added: BTreeMap<String, Arc<Logistic>>,
}

/// Where a registry-served model's requests go right now.
pub(crate) struct Route {
    /// Weights over the scenario's versions (its order), then the added ones.
    pub(crate) weights: Vec<f64>,
    /// The added versions, in the weights' order after the scenario's.
    pub(crate) added: Vec<(String, Arc<Logistic>)>,
}

impl Routing {
    /// From now on `model`'s requests go to these versions in these shares.
    pub fn set(&self, model: &str, shares: BTreeMap<String, f64>) {
        let mut routes = self.0.write().unwrap_or_else(|p| p.into_inner());
        routes.entry(model.to_string()).or_default().shares = shares;
    }

    /// `version` of `model`, which the scenario does not have, serves with
    /// `weights` (the JSON of [`mlobs_trainer::Logistic`]) whenever the
    /// shares name it.
    pub fn add_version(&self, model: &str, version: &str, weights: &str) -> Result<(), SimError> {
        let weights = Logistic::from_json(weights)
            .map_err(|e| SimError::Scenario(format!("{model} version {version}: {e}")))?;
        let mut routes = self.0.write().unwrap_or_else(|p| p.into_inner());
        let routes = routes.entry(model.to_string()).or_default();
        routes.added.insert(version.to_string(), Arc::new(weights));
        Ok(())
    }

    /// Whether `version` of `model` was added with [`Routing::add_version`].
    pub fn has_added(&self, model: &str, version: &str) -> bool {
        let routes = self.0.read().unwrap_or_else(|p| p.into_inner());
        routes
            .get(model)
            .is_some_and(|r| r.added.contains_key(version))
    }

    /// The current route of `model`; `None` until set (or when the shares
    /// name no version it can serve).
    pub(crate) fn route(&self, model: &Model) -> Option<Route> {
        let routes = self.0.read().unwrap_or_else(|p| p.into_inner());
        let routes = routes.get(&model.name)?;
        let share = |name: &str| routes.shares.get(name).copied().unwrap_or(0.0);
        let mut weights: Vec<f64> = model.versions.iter().map(|v| share(&v.name)).collect();
        let added: Vec<(String, Arc<Logistic>)> = routes
            .added
            .iter()
            .filter(|(name, _)| !model.versions.iter().any(|v| &v.name == *name))
            .map(|(name, weights)| (name.clone(), Arc::clone(weights)))
            .collect();
        weights.extend(added.iter().map(|(name, _)| share(name)));
        weights
            .iter()
            .any(|w| *w > 0.0)
            .then_some(Route { weights, added })
    }
}
