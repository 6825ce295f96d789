//! `mlobs`: watch ML models in production. A thin main: parse the command
//! line, load the configuration, hand over to one command module.

mod bad_input;
mod commands;
mod output;
mod parallel;
mod tabular;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mlobs_pipeline::Config;

/// mimalloc instead of glibc's malloc: the pipeline's threads hand
/// allocations to each other (a record read on the consumer thread is freed
/// on its partition's task thread), which glibc serves through contended
/// arenas (docs/architecture.md, "Stage 1").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Watch ML models in production: joins predictions with ground truth from
/// Kafka, computes per-version quality and drift per window.
#[derive(Parser)]
#[command(name = "mlobs", version)]
struct Cli {
    /// TOML config file (see mlobs.example.toml); defaults suit `make up`.
    #[arg(long, global = true, env = "MLOBS_CONFIG")]
    config: Option<PathBuf>,
    /// Log lines on stderr as text or as JSON objects (filter: MLOBS_LOG,
    /// e.g. `info` or `mlobs_pipeline=debug`).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "MLOBS_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or check mlobs' Kafka topics.
    Topics(commands::topics::Args),
    /// Send simulated predictions and delayed labels to Kafka.
    Simulate(commands::simulate::Args),
    /// Run the pipeline: join predictions with labels, window, evaluate, publish.
    Run(commands::run::Args),
    /// Prepare the ClickHouse history (database mlobs and its tables).
    Clickhouse(commands::clickhouse::Args),
    /// Print window results from the window-metrics topic.
    Windows(commands::windows::Args),
    /// Re-process a time range of the input topics into a fresh consumer group.
    Replay(commands::replay::Args),
    /// Profile training data into a baseline file, or into MLflow as a model version's baseline.
    Baseline(commands::baseline::Args),
    /// Compare current data with a reference file or baseline, per feature.
    Drift(commands::drift::Args),
    /// List alerts (each one's newest state) from the alerts topic, or
    /// republish Alertmanager's on it (`mlobs alerts webhook`).
    Alerts(commands::alerts::Args),
    /// See or change what serves a model in the MLflow registry: champion,
    /// challenger and its traffic share, audited.
    Model(commands::model::Args),
    /// Serve the diagnosis tools to MCP hosts (stdio, or HTTP with a bearer token).
    Mcp(commands::mcp::Args),
    /// Charts (PNG, SVG) and an HTML page of a model's history from
    /// ClickHouse: accuracy, traffic, drift, latency, errors, and when
    /// alerts fired, actions were taken and incidents were resolved.
    Report(commands::report::Args),
    /// The agent: a worker that turns alerts into incidents, diagnoses them,
    /// acts with approval and verifies; and its diagnosis on demand.
    Agent(commands::agent::Args),
    /// Train a new version on recent labeled production data, judge it
    /// against the champion, register it in MLflow and promote it by policy.
    Retrain(commands::retrain::Args),
    /// Write the Grafana dashboards (JSON) for a Grafana of your own.
    Dashboards(commands::dashboards::Args),
}

/// How log lines are written.
#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    mlobs_pipeline::logging::init(match cli.log_format {
        LogFormat::Text => mlobs_pipeline::logging::LogFormat::Text,
        LogFormat::Json => mlobs_pipeline::logging::LogFormat::Json,
    });
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
        Command::Clickhouse(args) => commands::clickhouse::execute(&config, args),
        Command::Windows(args) => commands::windows::execute(&config, args),
        Command::Replay(args) => commands::replay::execute(&config, args),
        Command::Alerts(args) => commands::alerts::execute(&config, args),
        Command::Baseline(args) => commands::baseline::execute(&config, args),
        Command::Model(args) => commands::model::execute(&config, args),
        Command::Drift(args) => commands::drift::execute(args),
        Command::Mcp(args) => commands::mcp::execute(&config, args),
        Command::Agent(args) => commands::agent::execute(&config, args),
        Command::Dashboards(args) => commands::dashboards::execute(args),
        Command::Report(args) => commands::report::execute(&config, args),
        Command::Retrain(args) => commands::retrain::execute(&config, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `mlobs ... | head`: the reader has what it wanted.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) if e.is::<bad_input::BadInput>() => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            let kafka_failed = e.chain().any(|cause| {
                matches!(
                    cause.downcast_ref::<mlobs_pipeline::PipelineError>(),
                    Some(mlobs_pipeline::PipelineError::Kafka { .. })
                )
            });
            match mlobs_pipeline::kafka_log::security_hint(&config.kafka.librdkafka) {
                Some(hint) if kafka_failed => eprintln!("error: {e:#}; {hint}"),
                _ => eprintln!("error: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap checks the whole command tree (names, groups, conflicts) only
    /// when a command is parsed; this parses them all.
    #[test]
    fn every_subcommand_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
