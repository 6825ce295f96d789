//! `mlobs alerts`: the alerts topic. Without a subcommand it lists each
//! alert's newest state; `webhook` feeds it with Alertmanager's
//! notifications (Prometheus rules), beside the alerts stage 2 publishes.

pub mod list;
pub mod webhook;

use mlobs_pipeline::Config;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    list: list::ListArgs,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Receive Alertmanager's webhook notifications and publish each alert
    /// on the alerts topic.
    Webhook(webhook::Args),
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    match args.command {
        Some(Command::Webhook(args)) => webhook::execute(config, args),
        None => list::execute(config, args.list),
    }
}
