//! Baselines of model versions, loaded from `<dir>/<model>/<version>.json`,
//! in the two shapes the stages need: feature specs for stage-1 sketches and
//! references for stage-2 drift tests.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use mlobs_operators::baseline::Baseline;
use mlobs_operators::drift::dataset::Reference;
use mlobs_operators::stage1::FeatureSpecs;

use crate::PipelineError;

/// One model version's baseline, prepared.
pub struct VersionBaseline {
    /// How stage 1 sketches each feature.
    pub specs: FeatureSpecs,
    /// What stage 2 tests against.
    pub reference: Reference,
}

/// Every known baseline by (model, version).
#[derive(Default)]
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
        };
        self.by_version
            .insert((model.to_string(), version.to_string()), Arc::new(prepared));
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
