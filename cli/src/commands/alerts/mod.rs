//! `mlobs alerts`: the alerts topic. `webhook` feeds it with Alertmanager's
//! notifications (Prometheus rules), beside the alerts stage 2 publishes.

pub mod webhook;

use mlobs_pipeline::Config;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Receive Alertmanager's webhook notifications and publish each alert
    /// on the alerts topic.
    Webhook(webhook::Args),
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Webhook(args) => webhook::execute(config, args),
    }
}
