//! Baselines from MLflow: every version tagged `mlobs.baseline.uri` (one
//! search per refresh), its profile fetched when the URI is new to this
//! process (from the disk cache when it has it, else from MLflow), and a
//! background thread that repeats this every `mlflow.refresh_ms` until
//! shutdown. MLflow being away keeps what is held and is logged once per
//! outage.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use mlobs_operators::baseline::Baseline;
use mlobs_registry::{baseline, Registry, RegistryError};

use super::cache::{Cache, Entry};
use super::{Baselines, LiveBaselines};
use crate::config::MlflowConfig;
use crate::shutdown::Shutdown;
use crate::PipelineError;

/// What the pipeline holds from MLflow, and how to get more.
pub struct MlflowBaselines {
    registry: Registry,
    cache: Cache,
    models: HashSet<String>,
    /// The URI each held baseline came from.
    held: HashMap<(String, String), String>,
    /// URIs whose profile could not be used (logged once each).
    refused: HashSet<String>,
    /// MLflow failed at the last refresh (so recovery is logged).
    failing: bool,
}

impl MlflowBaselines {
    /// A source for `config` (`mlflow.url`, `cache_dir`, `models`).
    pub fn new(config: &MlflowConfig) -> Result<MlflowBaselines, PipelineError> {
        Ok(MlflowBaselines {
            registry: Registry::new(&config.url)?,
            cache: Cache::new(config.cache_path()),
            models: config.models.iter().cloned().collect(),
            held: HashMap::new(),
            refused: HashSet::new(),
            failing: false,
        })
    }

    /// The cached baselines of the models this pipeline watches.
    pub fn from_cache(&mut self) -> Baselines {
        let mut baselines = Baselines::default();
        for entry in self.cache.load() {
            if self.watches(&entry.model) {
                self.take(&mut baselines, &entry);
            }
        }
        tracing::info!(
            cached = self.held.len(),
            cache_dir = %self.cache.dir().display(),
            "baselines from the cache"
        );
        baselines
    }

    /// Asks MLflow and replaces `live`'s baselines when anything changed;
    /// an unreachable or refusing MLflow keeps what is held.
    pub fn refresh_into(&mut self, live: &LiveBaselines) {
        match self.refresh(&live.current()) {
            Ok(Some(changed)) => live.replace(changed),
            Ok(None) => {}
            Err(error) => {
                if !self.failing {
                    tracing::warn!(
                        %error,
                        held = self.held.len(),
                        "cannot refresh baselines from MLflow; keeping the ones held (cached on disk) and retrying"
                    );
                }
                self.failing = true;
                return;
            }
        }
        if std::mem::take(&mut self.failing) {
            tracing::info!(
                mlflow = self.registry.url(),
                "MLflow answers again: baselines refreshed"
            );
        }
    }

    /// The baselines after asking MLflow, or `None` when nothing changed.
    fn refresh(&mut self, current: &Baselines) -> Result<Option<Baselines>, RegistryError> {
        let listed: Vec<_> = baseline::list(&self.registry)?
            .into_iter()
            .filter(|p| self.watches(&p.model))
            .collect();
        let mut next = current.clone();
        let mut changed = false;
        let listed_keys: HashSet<_> = listed
            .iter()
            .map(|p| (p.model.clone(), p.version.clone()))
            .collect();
        let gone: Vec<_> = self
            .held
            .keys()
            .filter(|key| !listed_keys.contains(*key))
            .cloned()
            .collect();
        for (model, version) in gone {
            tracing::info!(%model, %version, "baseline no longer in MLflow: dropped");
            self.held.remove(&(model.clone(), version.clone()));
            self.cache.remove(&model, &version);
            next.remove(&model, &version);
            changed = true;
        }
        for published in listed {
            let key = (published.model.clone(), published.version.clone());
            if self.held.get(&key) == Some(&published.uri) || self.refused.contains(&published.uri)
            {
                continue;
            }
            let profile = match baseline::fetch(&self.registry, &published.uri) {
                Ok(profile) => profile,
                Err(error) if error.is_unreachable() => return Err(error),
                Err(error) => {
                    tracing::warn!(model = %key.0, version = %key.1, %error, "cannot fetch this baseline; no drift for the version until it is fixed");
                    self.refused.insert(published.uri);
                    continue;
                }
            };
            let entry = Entry {
                model: published.model,
                version: published.version,
                uri: published.uri,
                profile,
            };
            if self.take(&mut next, &entry) {
                if let Err(error) = self.cache.store(&entry) {
                    tracing::warn!(cache_dir = %self.cache.dir().display(), %error, "cannot cache a baseline; a restart without MLflow will lack it");
                }
                tracing::info!(model = %entry.model, version = %entry.version, uri = %entry.uri, "baseline loaded from MLflow");
                changed = true;
            }
        }
        Ok(changed.then_some(next))
    }

    /// Adds `entry` to `baselines` when its profile can be read.
    fn take(&mut self, baselines: &mut Baselines, entry: &Entry) -> bool {
        match Baseline::from_json(&entry.profile) {
            Ok(profile) => {
                baselines.insert(&entry.model, &entry.version, &profile);
                self.held.insert(
                    (entry.model.clone(), entry.version.clone()),
                    entry.uri.clone(),
                );
                true
            }
            Err(error) => {
                tracing::warn!(model = %entry.model, version = %entry.version, uri = %entry.uri, %error, "this baseline cannot be used; no drift for the version");
                self.refused.insert(entry.uri.clone());
                false
            }
        }
    }

    fn watches(&self, model: &str) -> bool {
        self.models.is_empty() || self.models.contains(model)
    }
}

/// Refreshes `live` from `source` every `every_ms` until `shutdown`.
pub fn spawn_refresher(
    mut source: MlflowBaselines,
    live: Arc<LiveBaselines>,
    every_ms: u64,
    shutdown: Shutdown,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("baselines".into())
        .spawn(move || {
            let _span = tracing::info_span!("baselines", mlflow = source.registry.url()).entered();
            while shutdown.wait(Duration::from_millis(every_ms)) {
                source.refresh_into(&live);
            }
        })
        .expect("spawning the baseline refresher")
}
