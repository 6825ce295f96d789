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
            let keys = config.kafka.topics.all();
            for ((topic, state), (key, _)) in outcome.into_iter().zip(keys) {
                match state {
                    Created::New { partitions } => {
                        let settings: Vec<String> = topics::settings(&config.kafka, key)
                            .into_iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect();
                        out!(
                            "created  {topic} ({}, replication {}, {})",
                            plural(partitions, "partition"),
                            config.kafka.replication_factor,
                            settings.join(", ")
                        )
                    }
                    Created::Existing { partitions } => {
                        out!(
                            "exists   {topic} ({}; settings left as they are)",
                            plural(partitions, "partition")
                        )
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

/// "1 partition", "3 partitions".
fn plural(count: i32, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
