//! [`Tools`] from an mlobs config, as every command and the agent build it.

use std::collections::BTreeMap;
use std::path::Path;

use mlobs_operators::baseline::Baseline;
use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_pipeline::Config;
use mlobs_registry::Registry;

use super::{ToolError, Tools};

impl Tools {
    /// The tools over `clickhouse` (required: it holds the history),
    /// `mlflow.url` (aliases, published baselines; left out when empty or
    /// invalid, with a log line) and the newest baseline of each model in
    /// `baselines.dir`.
    pub fn from_config(config: &Config) -> Result<Tools, ToolError> {
        let clickhouse = ClickHouse::from_config(&config.clickhouse)?.ok_or_else(|| {
            ToolError::bad(
                "clickhouse.url",
                "",
                "the tools read the history from ClickHouse; set clickhouse.url",
            )
        })?;
        let registry = match config.mlflow.url.trim() {
            "" => None,
            url => Registry::new(url)
                .map_err(|e| tracing::info!(error = %e, "registry left out"))
                .ok(),
        };
        let mut tools = Tools::new(clickhouse, registry);
        for (model, versions) in baselines_in(&config.baselines.dir) {
            if let Some((_, newest)) = versions.into_iter().last() {
                tools = tools.with_baseline(&model, newest);
            }
        }
        Ok(tools)
    }
}

/// Every readable `<model>/<version>.json` under `dir`, by model then
/// version (numeric versions in numeric order); unreadable files are
/// skipped with a log line, since a diagnosis does without a baseline.
pub fn baselines_in(dir: &str) -> BTreeMap<String, Vec<(String, Baseline)>> {
    let mut out: BTreeMap<String, Vec<(String, Baseline)>> = BTreeMap::new();
    let Ok(models) = std::fs::read_dir(Path::new(dir)).map(|d| d.flatten()) else {
        return out;
    };
    for model in models.filter(|e| e.path().is_dir()) {
        let Ok(files) = std::fs::read_dir(model.path()) else {
            continue;
        };
        let mut versions: Vec<(String, Baseline)> = files
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter_map(|p| {
                let text = std::fs::read_to_string(&p).ok()?;
                let b = Baseline::from_json(&text)
                    .map_err(
                        |e| tracing::info!(path = %p.display(), error = %e, "baseline skipped"),
                    )
                    .ok()?;
                Some((p.file_stem()?.to_string_lossy().to_string(), b))
            })
            .collect();
        versions.sort_by_key(|(v, _)| (v.parse::<u64>().unwrap_or(u64::MAX), v.clone()));
        out.insert(model.file_name().to_string_lossy().to_string(), versions);
    }
    out
}
