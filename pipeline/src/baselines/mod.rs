//! Baselines of model versions, in the two shapes the stages need: feature
//! specs for stage-1 sketches and references for stage-2 drift tests.
//!
//! They come from a folder (`<dir>/<model>/<version>.json`, read once) or
//! from MLflow ([`mlflow`]: refreshed in the background, cached on disk by
//! [`cache`]); either way the stages read them through a [`LiveBaselines`]
//! handle whose snapshot can be replaced while they run.

pub mod cache;
mod live;
pub mod mlflow;

pub use live::LiveBaselines;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use mlobs_operators::baseline::Baseline;
use mlobs_operators::cbpe::validation::Validation;
use mlobs_operators::drift::dataset::Reference;
use mlobs_operators::stage1::FeatureSpecs;

use crate::PipelineError;

/// One model version's baseline, prepared.
pub struct VersionBaseline {
    /// How stage 1 sketches each feature.
    pub specs: FeatureSpecs,
    /// What stage 2 tests against.
    pub reference: Reference,
    /// The version's validation outcomes: CBPE's first calibration.
    pub validation: Option<Validation>,
}

/// Every known baseline by (model, version): an immutable snapshot (clones
/// share the prepared baselines).
#[derive(Default, Clone)]
pub struct Baselines {
    by_version: HashMap<(String, String), Arc<VersionBaseline>>,
}

impl Baselines {
    /// Loads every `<model>/<version>.json` under `dir` (nothing when empty).
    pub fn load(dir: &str) -> Result<Baselines, PipelineError> {
        let mut baselines = Baselines::default();
        if dir.is_empty() {
            return Ok(baselines);
        }
        let unreadable = |path: &Path, detail: String| PipelineError::Baseline {
            path: path.display().to_string(),
            detail,
        };
        let models =
            std::fs::read_dir(dir).map_err(|e| unreadable(Path::new(dir), e.to_string()))?;
        for model in models.flatten().filter(|e| e.path().is_dir()) {
            let versions = std::fs::read_dir(model.path())
                .map_err(|e| unreadable(&model.path(), e.to_string()))?;
            for file in versions
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
            {
                let text =
                    std::fs::read_to_string(&file).map_err(|e| unreadable(&file, e.to_string()))?;
                let baseline =
                    Baseline::from_json(&text).map_err(|e| unreadable(&file, e.to_string()))?;
                let version = file
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                let model = model.file_name().to_string_lossy().to_string();
                baselines.insert(&model, &version, &baseline);
            }
        }
        Ok(baselines)
    }

    /// Adds (or replaces) the baseline of `model`/`version`.
    pub fn insert(&mut self, model: &str, version: &str, baseline: &Baseline) {
        let specs: BTreeMap<_, _> = baseline
            .features
            .keys()
            .filter_map(|name| Some((name.clone(), baseline.spec(name)?)))
            .collect();
        let prepared = VersionBaseline {
            specs: Arc::new(specs),
            reference: Reference::from_baseline(baseline),
            validation: baseline.validation.clone(),
        };
        self.by_version
            .insert((model.to_string(), version.to_string()), Arc::new(prepared));
    }

    /// Forgets the baseline of `model`/`version`.
    pub fn remove(&mut self, model: &str, version: &str) {
        self.by_version
            .remove(&(model.to_string(), version.to_string()));
    }

    /// True when `model`/`version` has a baseline.
    pub fn contains(&self, model: &str, version: &str) -> bool {
        self.by_version
            .contains_key(&(model.to_string(), version.to_string()))
    }

    /// The baseline of `model`/`version`, if known.
    pub fn get(&self, model: &str, version: &str) -> Option<Arc<VersionBaseline>> {
        self.by_version
            .get(&(model.to_string(), version.to_string()))
            .cloned()
    }

    /// Every known (model, version).
    pub fn versions(&self) -> impl Iterator<Item = &(String, String)> {
        self.by_version.keys()
    }
}

/// The baselines the configuration names: from `baselines.dir`, read once;
/// or from MLflow (the disk cache first, then MLflow itself; MLflow being
/// down is a warning, not a failure) and, when `refresh` is given, kept
/// up to date by a background thread until `shutdown`.
pub fn open(
    config: &crate::Config,
    refresh: Option<&crate::shutdown::Shutdown>,
    sinks: Option<&crate::sinks::Sinks>,
) -> Result<std::sync::Arc<LiveBaselines>, PipelineError> {
    let report = sinks.map(|s| (s.metrics.clone(), s.health.clone()));
    if !config.baselines.from_mlflow() {
        let loaded = Baselines::load(&config.baselines.dir)?;
        return Ok(std::sync::Arc::new(LiveBaselines::new(loaded, report)));
    }
    let mut source = mlflow::MlflowBaselines::new(&config.mlflow)?;
    let live = std::sync::Arc::new(LiveBaselines::new(source.from_cache(), report));
    source.refresh_into(&live);
    if let Some(shutdown) = refresh {
        mlflow::spawn_refresher(
            source,
            live.clone(),
            config.mlflow.refresh_ms,
            shutdown.clone(),
        );
    }
    Ok(live)
}
