//! Which versions serve a registry-served model (`serving = "registry"`):
//! what the registry said when the servers last asked. Whoever talks to the
//! registry (the CLI) writes it while the run goes on; the run reads it for
//! every request, so a rollback shows in the next prediction after the
//! servers' next look.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::model::Model;

/// Per model, the share of traffic of each version (by name).
#[derive(Debug, Clone, Default)]
pub struct Routing(Arc<RwLock<BTreeMap<String, BTreeMap<String, f64>>>>);

impl Routing {
    /// From now on `model`'s requests go to these versions in these shares.
    pub fn set(&self, model: &str, shares: BTreeMap<String, f64>) {
        let mut routes = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        routes.insert(model.to_string(), shares);
    }

    /// The current shares of `model`, as weights in its versions' order;
    /// `None` until set (or when they name no version of the model).
    pub(crate) fn weights(&self, model: &Model) -> Option<Vec<f64>> {
        let routes = self
            .0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let shares = routes.get(&model.name)?;
        let weights: Vec<f64> = model
            .versions
            .iter()
            .map(|v| shares.get(&v.name).copied().unwrap_or(0.0))
            .collect();
        weights.iter().any(|w| *w > 0.0).then_some(weights)
    }
}
