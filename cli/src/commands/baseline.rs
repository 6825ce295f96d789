//! `mlobs baseline build`: profile training data into a baseline file, and
//! (with `--register`) store it in MLflow as the baseline of a model
//! version, where the pipeline picks it up.

use std::path::PathBuf;

use clap::Subcommand;
use mlobs_operators::baseline::{Baseline, FeatureProfile};
use mlobs_pipeline::Config;
use mlobs_registry::{baseline, Registry, RegistryError};

use super::columns::ColumnFlags;
use crate::{bad_input, out, tabular};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Profile a CSV or Parquet file of training data.
    #[command(group(clap::ArgGroup::new("destination").required(true).multiple(true).args(["output", "register"])))]
    Build {
        /// Training data, .csv or .parquet.
        #[arg(long)]
        input: PathBuf,
        /// Where to write the baseline JSON.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Store the baseline in MLflow (mlflow.url) as the baseline of this
        /// registered model's version --model-version, which must exist
        /// (register the model version first; this does not create it).
        #[arg(long, value_name = "MODEL", requires = "model_version")]
        register: Option<String>,
        /// The version of --register's model (MLflow's number: 1, 2, ...).
        #[arg(long, value_name = "V", requires = "register", value_parser = super::model::version_number)]
        model_version: Option<String>,
        /// Keep a numeric column whole up to this many rows (KS and Wasserstein
        /// against the baseline are then exact); larger columns keep 12,000
        /// values at chosen ranks.
        #[arg(long, value_name = "ROWS", default_value_t = mlobs_operators::stats::ranks::EXACT_UP_TO)]
        exact_up_to: usize,
        #[command(flatten)]
        columns: ColumnFlags,
    },
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    let Action::Build {
        input,
        output,
        register,
        model_version,
        exact_up_to,
        columns,
    } = args.action;
    // The version is checked before the data is read: profiling a large
    // file only to learn the version does not exist would waste minutes.
    let target = match (register, model_version) {
        (Some(model), Some(version)) => {
            let registry = Registry::new(&config.mlflow.url)?;
            registry
                .version(&model, &version)
                .map_err(|e| missing_version(e, &registry, &model, &version))?;
            Some((registry, model, version))
        }
        _ => None,
    };
    let progress = tabular::Progress::new("reading", tabular::size_of(&[&input]));
    let data = progress.show_while(|| tabular::read(&input, &columns.selection(), &progress))?;
    let baseline = Baseline::build_exact_up_to(&data, exact_up_to);
    let profile = baseline.to_json();
    let numeric = baseline
        .features
        .values()
        .filter(|f| matches!(f, FeatureProfile::Numeric(_)))
        .count();
    let described = format!(
        "{} features ({numeric} numeric, {} categorical) from {} rows",
        baseline.features.len(),
        baseline.features.len() - numeric,
        baseline.rows
    );
    if let Some(output) = &output {
        std::fs::write(output, &profile)
            .map_err(|e| bad_input!("cannot write {}: {e}", output.display()))?;
        out!("wrote {}: {described}", output.display());
    }
    if let Some((registry, model, version)) = target {
        let summary = summary_of(&baseline);
        let now = mlobs_schemas::time::now_ms();
        let uri = baseline::publish(&registry, &model, &version, &profile, summary, now)
            .map_err(|e| missing_version(e, &registry, &model, &version))?;
        out!("registered the baseline of {model} version {version} in MLflow: {described}; {uri}");
    }
    Ok(())
}

/// What the version's tags say about `baseline`.
pub(crate) fn summary_of(baseline: &Baseline) -> baseline::Summary {
    baseline::Summary {
        rows: baseline.rows,
        features: baseline.features.len(),
        format_version: baseline.format_version,
    }
}

/// A missing model or version is the user's to fix (exit code 2).
fn missing_version(
    error: RegistryError,
    registry: &Registry,
    model: &str,
    version: &str,
) -> anyhow::Error {
    if !error.is_not_found() {
        return error.into();
    }
    bad_input!(
        "MLflow at {} has no version {version} of a registered model {model:?} ({error}); register the model version first (e.g. mlflow.register_model), then run this again (its versions: {}/#/models/{model})",
        registry.url(),
        registry.url()
    )
}
