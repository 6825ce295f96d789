//! `mlobs simulate`: plays a scenario file (docs/scenarios.md) into Kafka as
//! model servers and a label source would, and says exactly what it sent,
//! per event-time window, so that the pipeline's results can be checked.

mod registry;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mlobs_pipeline::Config;
use mlobs_registry::Registry;
use mlobs_scenarios::kafka_output::KafkaOutput;
use mlobs_scenarios::{Scenario, Serving, SimError, Truth};

use crate::bad_input;
use crate::out;
use crate::output::{print_json, print_version_counts, Format};

/// How long to wait for Kafka to acknowledge the last events.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML; see docs/scenarios.md and scenarios/*.toml).
    #[arg(long)]
    scenario: PathBuf,
    /// Write what was sent, per model, version and window, to this JSON file.
    #[arg(long)]
    truth: Option<PathBuf>,
    /// Write each version's training baseline to DIR/<model>/<version>.json.
    #[arg(long, value_name = "DIR")]
    baselines: Option<PathBuf>,
    /// Register every version in MLflow (mlflow.url) with its weights and
    /// baseline, events carrying MLflow's version numbers; models with
    /// `serving = "registry"` then follow the aliases while the scenario plays.
    #[arg(long)]
    register: bool,
    /// How to print what was sent: a per-version table, or the truth as JSON.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    let scenario = Scenario::load(&args.scenario).map_err(|e| bad_input!("{e}"))?;
    if let Some(path) = &args.truth {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if parent.is_some_and(|p| !p.is_dir()) {
            return Err(bad_input!(
                "--truth {}: the folder does not exist",
                path.display()
            ));
        }
    }
    let mut world = scenario.prepare().map_err(|e| bad_input!("{e}"))?;
    let follows_registry = world
        .models()
        .iter()
        .any(|m| m.serving == Serving::Registry);
    if follows_registry && !args.register {
        return Err(bad_input!(
            "{}: a model has serving = \"registry\"; run with --register so that its versions are in MLflow",
            args.scenario.display()
        ));
    }
    let follower = if args.register {
        let mlflow = Registry::new(&config.mlflow.url)?;
        registry::register(config, &mlflow, &mut world)?;
        Some(registry::Follower::start(mlflow, &world)?)
    } else {
        None
    };
    if let Some(dir) = &args.baselines {
        write_baselines(dir, &world)?;
    }
    let kafka = &config.kafka;
    let mut output = KafkaOutput::connect(
        &kafka.brokers,
        &kafka.librdkafka,
        &kafka.topics.predictions,
        &kafka.topics.labels,
    )
    .map_err(runtime)?;
    let began = Instant::now();
    let truth = world
        .run(&mut output, config.windows.size_ms)
        .map_err(runtime)?;
    output.finish(FLUSH_TIMEOUT).map_err(runtime)?;
    drop(follower);
    let took = began.elapsed();
    if let Some(path) = &args.truth {
        let json = serde_json::to_string_pretty(&truth)?;
        std::fs::write(path, json + "\n")
            .map_err(|e| bad_input!("cannot write --truth {}: {e}", path.display()))?;
    }
    match args.format {
        Format::Json => print_json(&truth),
        Format::Table => Ok(print_summary(&truth, took)?),
    }
}

/// A scenario error found while running is still the file's fault; the
/// rest (Kafka) is a failure at run time.
fn runtime(error: SimError) -> anyhow::Error {
    match error {
        SimError::Scenario(_) => bad_input!("{error}"),
        SimError::Kafka(_) => anyhow::Error::new(error),
    }
}

fn write_baselines(dir: &Path, world: &mlobs_scenarios::World) -> anyhow::Result<()> {
    for (model, version, baseline) in world.baselines() {
        let folder = dir.join(&model);
        let path = folder.join(format!("{version}.json"));
        // Written aside and renamed: a pipeline starting meanwhile reads the
        // whole file or none.
        let partial = folder.join(format!(".{version}.json.partial"));
        std::fs::create_dir_all(&folder)
            .and_then(|()| std::fs::write(&partial, baseline.to_json() + "\n"))
            .and_then(|()| std::fs::rename(&partial, &path))
            .map_err(|e| bad_input!("cannot write baseline {}: {e}", path.display()))?;
    }
    Ok(())
}

fn print_summary(truth: &Truth, took: Duration) -> std::io::Result<()> {
    let totals = truth.totals();
    let predictions: u64 = totals.values().map(|c| c.predictions).sum();
    let labels: u64 = totals.values().map(|c| c.labeled).sum();
    out!(
        "sent {predictions} predictions and {labels} labels in {:.1} s:",
        took.as_secs_f64()
    );
    let names: Vec<String> = totals
        .keys()
        .map(|(model, version)| format!("{model}/{version}"))
        .collect();
    print_version_counts(
        names
            .iter()
            .zip(totals.values())
            .map(|(name, c)| (name.as_str(), c.predictions, c.labeled, c.correct)),
    )
}
