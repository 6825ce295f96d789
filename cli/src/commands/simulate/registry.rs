//! `mlobs simulate --register`: the scenario's versions become versions in
//! MLflow, and registry-served models (`serving = "registry"`) follow its
//! aliases while the scenario plays.
//!
//! Each version is a run of experiment [`EXPERIMENT`] in the layout of
//! [`mlobs_registry::trained`] (weights and training rows as artifacts),
//! tagged with the scenario's name for it, and carries its baseline
//! (`mlobs.baseline.*`). The simulator serves the weights it reads back
//! from MLflow, so what serves is what the registry holds; a version the
//! registry gains while the run goes on (`mlobs retrain`) serves too, with
//! the weights the follower reads when the aliases first name it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use mlobs_operators::baseline::Baseline;
use mlobs_pipeline::Config;
use mlobs_registry::baseline;
use mlobs_registry::serving::{self, Change, Serving};
use mlobs_registry::trained::Trained;
use mlobs_registry::{Registry, Tag};
use mlobs_scenarios::{Routing, Serving as Follows, World};
use mlobs_schemas::time::now_ms;

use crate::commands::baseline::summary_of;

/// Experiment holding one run per simulated version.
const EXPERIMENT: &str = "mlobs-simulations";
/// Version tag: the scenario's name of the version.
const SCENARIO_VERSION_TAG: &str = "mlobs.scenario.version";
/// How often the simulated servers read the aliases (wall time).
const FOLLOW_EVERY: Duration = Duration::from_secs(2);
/// Who the simulator's own registry changes are audited as.
const ACTOR: &str = "mlobs simulate";

/// Registers every version of every model of `world`, renaming the versions
/// to MLflow's numbers, and sets the starting aliases of registry-served
/// models from their first traffic step.
pub fn register(config: &Config, registry: &Registry, world: &mut World) -> anyhow::Result<()> {
    let baselines: BTreeMap<(String, String), Baseline> = world
        .baselines()
        .into_iter()
        .map(|(model, version, b)| ((model, version), b))
        .collect();
    for spec in world.models() {
        let mut numbers = BTreeMap::new();
        for (name, weights) in &spec.versions {
            let mut tags = vec![Tag {
                key: SCENARIO_VERSION_TAG.into(),
                value: name.clone(),
            }];
            if let Some(features) = spec.features.get(name) {
                tags.push(Tag {
                    key: mlobs_registry::FEATURES_TAG.into(),
                    value: features.join(","),
                });
            }
            let trained = Trained {
                run_name: format!("{} {name}", spec.name),
                weights: weights.clone(),
                training_data: world.training_data(&spec.name, name).unwrap_or_default(),
                metrics: Vec::new(),
                tags,
            };
            let registered =
                registry.register_trained(EXPERIMENT, &spec.name, &trained, now_ms())?;
            let version = registered.version.clone();
            let profile = &baselines[&(spec.name.clone(), name.clone())];
            let summary = summary_of(profile);
            baseline::publish(
                registry,
                &spec.name,
                &version,
                &profile.to_json(),
                summary,
                now_ms(),
            )?;
            let served = registry.weights(&registered)?;
            world.rename_version(&spec.name, name, &version);
            world.serve_weights(&spec.name, &version, &served)?;
            tracing::info!(model = %spec.name, scenario_version = %name, %version, "version registered");
            numbers.insert(name.clone(), version);
        }
        if spec.serving == Follows::Registry {
            start_serving(config, registry, &spec.name, &spec.initial_shares, &numbers)?;
        }
    }
    Ok(())
}

/// Champion: the version with the largest starting share; challenger: the
/// next one, if it has a share.
fn start_serving(
    config: &Config,
    registry: &Registry,
    model: &str,
    shares: &[(String, f64)],
    numbers: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let mut ranked: Vec<&(String, f64)> = shares.iter().filter(|(_, w)| *w > 0.0).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = ranked.iter().map(|(_, w)| w).sum();
    let change = Change {
        actor: ACTOR.into(),
        reason: "the scenario's first traffic step".into(),
        at_ms: now_ms(),
    };
    let mut events = Vec::new();
    if let Some((champion, _)) = ranked.first() {
        events.extend(serving::promote(
            registry,
            model,
            &numbers[champion],
            &change,
        )?);
    }
    if let Some((challenger, weight)) = ranked.get(1) {
        let share = weight / total;
        events.push(serving::traffic(
            registry,
            model,
            Some(&numbers[challenger]),
            share,
            &change,
        )?);
    }
    for event in &events {
        crate::commands::model::record(config, event)?;
    }
    Ok(())
}

/// Reads the aliases of the registry-served models every [`FOLLOW_EVERY`]
/// into `routing` until dropped.
pub struct Follower {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Follower {
    /// Reads once (so the first request already follows the registry),
    /// then keeps reading in the background.
    pub fn start(registry: Registry, world: &World) -> anyhow::Result<Follower> {
        let models: Vec<(String, Vec<String>)> = world
            .models()
            .into_iter()
            .filter(|m| m.serving == Follows::Registry)
            .map(|m| (m.name, m.versions.into_iter().map(|(v, _)| v).collect()))
            .collect();
        let routing = world.routing();
        for (model, known) in &models {
            follow(&registry, &routing, model, known)?;
        }
        let stop = Arc::new(AtomicBool::new(models.is_empty()));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                std::thread::sleep(FOLLOW_EVERY);
                for (model, known) in &models {
                    if let Err(error) = follow(&registry, &routing, model, known) {
                        tracing::warn!(model, %error, "cannot read the registry; serving as it last said");
                    }
                }
            }
        });
        Ok(Follower {
            stop,
            thread: Some(thread),
        })
    }
}

/// Reads what serves `model` into `routing`, first loading the weights of
/// a serving version the scenario does not have (`known` are its own).
fn follow(
    registry: &Registry,
    routing: &Routing,
    model: &str,
    known: &[String],
) -> anyhow::Result<()> {
    let now = serving::serving(registry, model)?;
    let serving = [&now.champion, &now.challenger];
    let new = serving.into_iter().flatten().filter(|v| !known.contains(v));
    for version in new.filter(|v| !routing.has_added(model, v)) {
        let registered = registry.version(model, version)?;
        routing.add_version(model, version, &registry.weights(&registered)?)?;
        tracing::info!(
            model,
            version,
            "serving a version registered during the run"
        );
    }
    route(routing, model, &now);
    Ok(())
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The shares `serving` gives each version.
fn route(routing: &Routing, model: &str, serving: &Serving) {
    let mut shares = BTreeMap::new();
    let challenger_share = serving.challenger.as_ref().map_or(0.0, |_| serving.share);
    if let Some(champion) = &serving.champion {
        shares.insert(champion.clone(), 1.0 - challenger_share);
    }
    if let Some(challenger) = &serving.challenger {
        *shares.entry(challenger.clone()).or_default() += challenger_share;
    }
    tracing::debug!(model, ?shares, "serving as the registry says");
    routing.set(model, shares);
}
