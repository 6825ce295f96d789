//! `mlobs`: watch ML models in production. A thin main: parse the command
//! line, load the configuration, hand over to one command module.

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mlobs_pipeline::Config;

/// Watch ML models in production: joins predictions with ground truth from
/// Kafka and reports per-version quality.
#[derive(Parser)]
#[command(name = "mlobs", version)]
struct Cli {
    /// TOML config file (see mlobs.example.toml); defaults suit `make up`.
    #[arg(long, global = true, env = "MLOBS_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or check mlobs' Kafka topics.
    Topics(commands::topics::Args),
    /// Send simulated predictions and delayed labels to Kafka.
    Simulate(commands::simulate::Args),
    /// Join predictions with labels and report per-version counts.
    Run(commands::run::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Topics(args) => commands::topics::execute(&config, args),
        Command::Simulate(args) => commands::simulate::execute(&config, args),
        Command::Run(args) => commands::run::execute(&config, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
