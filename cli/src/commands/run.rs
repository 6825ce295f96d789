//! `mlobs run`: the walking skeleton of the pipeline.

use std::time::Duration;

use mlobs_pipeline::skeleton::{self, SkeletonOptions, Table};
use mlobs_pipeline::Config;

use crate::out;
use crate::output::{print_json, print_version_counts, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Seconds between two printed tables.
    #[arg(long, default_value_t = 5)]
    report_every: u64,
    /// Stop after this many seconds without a record (default: run until killed).
    #[arg(long)]
    exit_when_idle: Option<u64>,
    /// How to print the final table.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    let options = SkeletonOptions {
        report_every: Duration::from_secs(args.report_every.max(1)),
        exit_when_idle: args.exit_when_idle.map(Duration::from_secs),
    };
    let table = skeleton::run(config, &options, |table| {
        if let Format::Table = args.format {
            // A closed stdout only ends the periodic report; the final one reports it.
            let _ = print_counts(table);
        }
    })?;
    match args.format {
        Format::Json => print_json(&table)?,
        Format::Table => print_counts(&table)?,
    }
    Ok(())
}

fn print_counts(table: &Table) -> std::io::Result<()> {
    print_version_counts(
        table
            .versions
            .iter()
            .map(|(v, c)| (v.as_str(), c.predictions, c.labeled, c.correct)),
    )?;
    for (reason, count) in &table.rejected {
        out!("rejected {count} records: {reason}");
    }
    out!("");
    Ok(())
}
