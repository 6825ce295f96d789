//! Baselines as model-version metadata: the profile JSON is an artifact of
//! a run in experiment [`EXPERIMENT`], and the version's tags point at it
//! (`mlobs.baseline.uri`) and summarize it (rows, features, format), so a
//! reader finds every baseline with one search and fetches only what
//! changed.

use crate::{Registry, Result, Tag};

/// Tag of a version: the artifact URI of its baseline.
pub const URI_TAG: &str = "mlobs.baseline.uri";
/// Tag of a version: training rows the baseline was built from.
pub const ROWS_TAG: &str = "mlobs.baseline.rows";
/// Tag of a version: number of features profiled.
pub const FEATURES_TAG: &str = "mlobs.baseline.features";
/// Tag of a version: the profile's `format_version`.
pub const FORMAT_TAG: &str = "mlobs.baseline.format_version";
/// Experiment holding one run per baseline built.
pub const EXPERIMENT: &str = "mlobs-baselines";
/// Where the profile sits in its run's artifacts.
pub const ARTIFACT_PATH: &str = "mlobs/baseline.json";

/// What the version's tags say about a baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Training rows.
    pub rows: u64,
    /// Features profiled.
    pub features: usize,
    /// The profile's `format_version`.
    pub format_version: u32,
}

/// A version that carries a baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Registered model.
    pub model: String,
    /// Version (MLflow's string).
    pub version: String,
    /// Artifact URI of the profile.
    pub uri: String,
}

fn tag(key: &str, value: impl ToString) -> Tag {
    Tag {
        key: key.to_string(),
        value: value.to_string(),
    }
}

/// Stores `profile` (the baseline JSON) as the baseline of `model` version
/// `version`, which must exist ([`crate::RegistryError::NotFound`]
/// otherwise, before anything is written): a run in [`EXPERIMENT`] gets
/// the artifact, then the version gets the tags. Returns the artifact URI.
/// A version that had a baseline gets the new one (its tags move; the old
/// run stays, as history).
pub fn publish(
    registry: &Registry,
    model: &str,
    version: &str,
    profile: &str,
    summary: Summary,
    now_ms: i64,
) -> Result<String> {
    registry.version(model, version)?;
    let experiment = registry.experiment(EXPERIMENT)?;
    let run_tags = [
        tag("mlobs.model", model),
        tag("mlobs.model_version", version),
    ];
    let run = registry.create_run(
        &experiment,
        &format!("baseline {model} v{version}"),
        now_ms,
        &run_tags,
    )?;
    let params = [
        tag("rows", summary.rows),
        tag("features", summary.features),
        tag("format_version", summary.format_version),
    ];
    registry.log_batch(&run.run_id, &params, &[])?;
    let uri = registry.put_artifact(&run, ARTIFACT_PATH, profile.as_bytes().to_vec())?;
    registry.end_run(&run.run_id, "FINISHED", now_ms)?;
    for (key, value) in [
        (ROWS_TAG, summary.rows.to_string()),
        (FEATURES_TAG, summary.features.to_string()),
        (FORMAT_TAG, summary.format_version.to_string()),
        // Last: a reader that sees the URI sees the summary too.
        (URI_TAG, uri.clone()),
    ] {
        registry.set_version_tag(model, version, key, &value)?;
    }
    tracing::info!(model, version, %uri, rows = summary.rows, "baseline stored in MLflow");
    Ok(uri)
}

/// Every version of the registry that carries a baseline (one search).
pub fn list(registry: &Registry) -> Result<Vec<Published>> {
    let filter = format!("tags.`{URI_TAG}` LIKE '%'");
    Ok(registry
        .search_versions(&filter)?
        .into_iter()
        .filter_map(|v| {
            let uri = v.tag(URI_TAG)?.to_string();
            Some(Published {
                model: v.name,
                version: v.version,
                uri,
            })
        })
        .collect())
}

/// The profile JSON at `uri`, as [`publish`] stored it.
pub fn fetch(registry: &Registry, uri: &str) -> Result<String> {
    let bytes = registry.get_artifact(uri)?;
    String::from_utf8(bytes).map_err(|e| crate::RegistryError::Decode {
        call: format!("mlflow-artifacts GET ({uri})"),
        detail: format!("the baseline is not UTF-8 text: {e}"),
    })
}
