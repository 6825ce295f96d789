//! `mlobs topics create|check`.

use anyhow::Context;
use clap::Subcommand;
use mlobs_pipeline::topics::{self, Created};
use mlobs_pipeline::Config;

use crate::out;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Create every configured topic that is missing (safe to repeat).
    Create,
    /// Verify that predictions and labels exist and are co-partitioned.
    Check,
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Create => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let outcome = runtime.block_on(topics::create(&config.kafka))?;
            for (topic, state) in outcome {
                match state {
                    Created::New { partitions } => {
                        out!("created  {topic} ({partitions} partitions)")
                    }
                    Created::Existing { partitions } => {
                        out!("exists   {topic} ({partitions} partitions)")
                    }
                }
            }
        }
        Action::Check => {
            let partitions = topics::check_copartitioned(&config.kafka)
                .context("predictions and labels are not ready for mlobs")?;
            out!(
                "ok: {} and {} are co-partitioned ({partitions} partitions each)",
                config.kafka.topics.predictions,
                config.kafka.topics.labels
            );
        }
    }
    Ok(())
}
