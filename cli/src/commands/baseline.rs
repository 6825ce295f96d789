//! `mlobs baseline build`: profile training data into a baseline file.

use std::path::PathBuf;

use clap::Subcommand;
use mlobs_operators::baseline::{Baseline, FeatureProfile};

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
    Build {
        /// Training data, .csv or .parquet.
        #[arg(long)]
        input: PathBuf,
        /// Where to write the baseline JSON.
        #[arg(long)]
        output: PathBuf,
        #[command(flatten)]
        columns: ColumnFlags,
    },
}

pub fn execute(args: Args) -> anyhow::Result<()> {
    let Action::Build {
        input,
        output,
        columns,
    } = args.action;
    let data = tabular::read(&input, &columns.selection())?;
    let baseline = Baseline::build(&data);
    std::fs::write(&output, baseline.to_json())
        .map_err(|e| bad_input!("cannot write {}: {e}", output.display()))?;
    let numeric = baseline
        .features
        .values()
        .filter(|f| matches!(f, FeatureProfile::Numeric(_)))
        .count();
    out!(
        "wrote {}: {} features ({numeric} numeric, {} categorical) from {} rows",
        output.display(),
        baseline.features.len(),
        baseline.features.len() - numeric,
        baseline.rows
    );
    Ok(())
}
