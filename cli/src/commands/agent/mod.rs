//! `mlobs agent`: the agent worker and what people do with it.

mod decide;
mod incidents;
mod investigate;
mod run;
mod timeline;

use mlobs_pipeline::Config;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Diagnose one model from its history (ClickHouse) and the registry
    /// (MLflow): root cause, confidence, evidence, proposed remedies.
    Investigate(investigate::InvestigateArgs),
    /// Run the agent worker: alerts become incidents that are investigated,
    /// acted on (with approval) and verified, until SIGTERM.
    Run(run::RunArgs),
    /// Approve a waiting action: the worker carries it out.
    Approve(decide::DecideArgs),
    /// Reject a waiting action: its incident is escalated.
    Reject(decide::DecideArgs),
    /// The agent's incidents and their actions, newest state of each.
    Incidents(incidents::IncidentsArgs),
    /// What happened to a model, in order: windows, alerts, the diagnosis
    /// and its options, actions and retrain steps, registry moves; `--follow`
    /// prints it as it happens.
    Timeline(timeline::TimelineArgs),
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Investigate(args) => investigate::execute(config, args),
        Command::Run(args) => run::execute(config, args),
        Command::Approve(args) => decide::execute(config, args, true),
        Command::Reject(args) => decide::execute(config, args, false),
        Command::Incidents(args) => incidents::execute(config, args),
        Command::Timeline(args) => timeline::execute(config, args),
    }
}
