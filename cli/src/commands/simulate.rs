//! `mlobs simulate`: a model server and a label source, in one process.

use std::time::Duration;

use anyhow::bail;
use mlobs_pipeline::Config;
use mlobs_scenarios::kafka_output::KafkaOutput;
use mlobs_scenarios::simple::{self, SimpleScenario, Truth};

use crate::out;
use crate::output::{print_json, print_version_counts, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Model name.
    #[arg(long, default_value = "churn")]
    model: String,
    /// Versions and traffic weights, `version=weight,...`.
    #[arg(long, default_value = "1=0.5,2=0.5", value_parser = parse_versions)]
    versions: Versions,
    /// Predictions per second.
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Predictions to send.
    #[arg(long, default_value_t = 2_000)]
    count: u64,
    /// Milliseconds between a prediction and its label.
    #[arg(long, default_value_t = 1_000)]
    label_delay_ms: u64,
    /// Seed of the simulated world.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How to print what was sent.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Clone)]
struct Versions(Vec<(String, f64)>);

fn parse_versions(text: &str) -> Result<Versions, String> {
    let parse_one = |part: &str| {
        let (version, weight) = part.split_once('=').ok_or("missing `=`")?;
        let weight: f64 = weight.parse().map_err(|_| "weight is not a number")?;
        if version.is_empty() || weight.is_nan() || weight <= 0.0 {
            return Err("need a version name and a positive weight");
        }
        Ok((version.to_string(), weight))
    };
    text.split(',')
        .map(|part| {
            parse_one(part.trim()).map_err(|e| {
                format!("{e} in `{part}`; expected version=weight,... e.g. 1=0.9,2=0.1")
            })
        })
        .collect::<Result<_, _>>()
        .map(Versions)
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    if args.rate.is_nan() || args.rate <= 0.0 {
        bail!("--rate must be positive, got {}", args.rate);
    }
    let scenario = SimpleScenario {
        model: args.model,
        versions: args.versions.0,
        rate_per_sec: args.rate,
        count: args.count,
        label_delay: Duration::from_millis(args.label_delay_ms),
        seed: args.seed,
    };
    let kafka = &config.kafka;
    let mut output = KafkaOutput::connect(
        &kafka.brokers,
        &kafka.librdkafka,
        &kafka.topics.predictions,
        &kafka.topics.labels,
    )?;
    let truth = simple::run(&scenario, &mut output)?;
    output.finish(Duration::from_secs(60))?;
    match args.format {
        Format::Json => print_json(&truth)?,
        Format::Table => print_truth(&truth)?,
    }
    Ok(())
}

fn print_truth(truth: &Truth) -> std::io::Result<()> {
    out!("sent:");
    print_version_counts(
        truth
            .versions
            .iter()
            .map(|(v, t)| (v.as_str(), t.predictions, t.labeled, t.correct)),
    )
}
