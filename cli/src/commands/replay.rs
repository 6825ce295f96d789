//! `mlobs replay`: re-process a time range into a fresh consumer group.

use mlobs_pipeline::baselines;
use mlobs_pipeline::replay::{replay, ReplayRange};
use mlobs_pipeline::sinks::Sinks;
use mlobs_pipeline::windows::views;
use mlobs_pipeline::Config;
use mlobs_schemas::time::parse_rfc3339;

use super::windows::print_windows;
use crate::bad_input;
use crate::output::Format;

#[derive(clap::Args)]
pub struct Args {
    /// Start: an RFC 3339 event time, or `earliest`.
    #[arg(long)]
    from: String,
    /// End (exclusive): an RFC 3339 event time; default the end of the topics now.
    #[arg(long)]
    to: Option<String>,
    /// A consumer group that has not been used before.
    #[arg(long)]
    group: String,
    /// How to print the replayed windows.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    let from = match args.from.as_str() {
        "earliest" => None,
        text => Some(parse_rfc3339(text).map_err(|e| bad_input!("--from: {e}, or `earliest`"))?),
    };
    let to = args
        .to
        .as_deref()
        .map(parse_rfc3339)
        .transpose()
        .map_err(|e| bad_input!("--to: {e}"))?;
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            return Err(bad_input!("--to must be after --from"));
        }
    }
    let baselines = baselines::open(config, None, None)?;
    let sinks = Sinks::history_only(config)?;
    let range = ReplayRange { from, to };
    let results = replay(config, baselines, &sinks, range, &args.group)?;
    print_windows(&views(&results), args.format)
}
