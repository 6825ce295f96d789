//! Which version of each model is the champion (MLflow alias `champion`),
//! for `version_regression`. Looked up without waiting: the evaluator asks
//! for a model, gets what a background thread last read (nothing the first
//! time), and the thread reads every model asked about every
//! `mlflow.refresh_ms`. A window compared late is still compared: the rule
//! catches up on the windows it has not compared yet.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mlobs_registry::serving::{serving, ServingError};
use mlobs_registry::Registry;

use crate::shutdown::Shutdown;
use crate::Config;

/// The champions known so far, and the models asked about.
#[derive(Default)]
pub struct Champions {
    known: Mutex<BTreeMap<String, Option<String>>>,
}

impl Champions {
    /// Reads the champions of the models asked about from `mlflow.url`
    /// every `mlflow.refresh_ms` until `shutdown` (none without a url).
    pub fn start(config: &Config, shutdown: &Shutdown) -> Arc<Champions> {
        let champions = Arc::new(Champions::default());
        let registry = if config.mlflow.url.is_empty() {
            None
        } else {
            Registry::new(&config.mlflow.url)
                .inspect_err(|e| {
                    tracing::warn!(stage = "evaluate", %e, "no champions: version_regression is off")
                })
                .ok()
        };
        if let Some(registry) = registry {
            let (reading, shutdown) = (champions.clone(), shutdown.clone());
            let every = Duration::from_millis(config.mlflow.refresh_ms);
            std::thread::Builder::new()
                .name("champions".into())
                .spawn(move || {
                    let mut reachable = true;
                    while shutdown.wait(every) {
                        reachable = reading.refresh(&registry, reachable);
                    }
                })
                .expect("spawning the champion reader");
        }
        champions
    }

    /// The champion of `model` as last read; asks for it from now on.
    pub fn get(&self, model: &str) -> Option<String> {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known.entry(model.to_string()).or_default().clone()
    }

    /// Reads every model asked about; returns whether MLflow answered
    /// (so that it warns once when it stops answering, not every period).
    fn refresh(&self, registry: &Registry, was_reachable: bool) -> bool {
        let models: BTreeSet<String> = {
            let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
            known.keys().cloned().collect()
        };
        for model in models {
            let champion = match serving(registry, &model) {
                Ok(now) => now.champion,
                Err(ServingError::Registry(e)) if e.is_unreachable() => {
                    if was_reachable {
                        tracing::warn!(stage = "evaluate", %e, "cannot read champions; version_regression compares with the last ones read");
                    }
                    return false;
                }
                // Not registered (or not readable): nothing to compare with.
                Err(_) => None,
            };
            let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
            known.insert(model, champion);
        }
        true
    }
}
