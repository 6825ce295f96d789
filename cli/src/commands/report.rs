//! `mlobs report`: charts and a page of a model's history, drawn from
//! ClickHouse (the work is in the mlobs-report crate).

use std::path::PathBuf;

use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_pipeline::Config;
use mlobs_report::Request;

use crate::bad_input::time_arg;
use crate::{bad_input, out};

#[derive(clap::Args)]
pub struct Args {
    /// The model.
    #[arg(long)]
    model: String,
    /// Windows starting at or after this time (RFC 3339, event time).
    #[arg(long)]
    since: String,
    /// Windows starting before this time (RFC 3339); default: now.
    #[arg(long)]
    until: Option<String>,
    /// A moment to mark on every chart, as TIME=WORDS (RFC 3339 event
    /// time), e.g. "2026-01-05T10:00:00Z=monthly_charges in another unit";
    /// repeat for more.
    #[arg(long, value_name = "TIME=WORDS")]
    mark: Vec<String>,
    /// Folder to write report.html and the charts (PNG and SVG) into;
    /// created when missing, files of an earlier report replaced.
    #[arg(long)]
    output: PathBuf,
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    let since_ms = time_arg("--since", &args.since)?;
    let until_ms = match &args.until {
        Some(t) => time_arg("--until", t)?,
        None => mlobs_schemas::time::now_ms(),
    };
    let clickhouse = ClickHouse::from_config(&config.clickhouse)?.ok_or_else(|| {
        bad_input!("clickhouse.url is empty: reports read the history from ClickHouse; set it")
    })?;
    let thresholds = config
        .alerts
        .rules()
        .map_err(|e| bad_input!("{e}"))?
        .for_model(&args.model)
        .clone();
    let marks = args
        .mark
        .iter()
        .map(|mark| {
            let (time, words) = mark.split_once('=').ok_or_else(|| {
                bad_input!("--mark {mark:?}: write TIME=WORDS, e.g. 2026-01-05T10:00:00Z=deploy")
            })?;
            Ok((time_arg("--mark", time)?, words.to_string()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let request = Request {
        marks,
        model: args.model,
        since_ms,
        until_ms,
        thresholds,
    };
    let written =
        mlobs_report::write(&clickhouse, &request, &args.output).map_err(|e| match e {
            e if e.is_bad_input() => bad_input!("{e}"),
            e => anyhow::Error::new(e),
        })?;
    out!(
        "wrote {}: {} charts as PNG and SVG, {} windows, {} marked events (alerts fired, actions taken, incidents resolved)",
        written.page.display(),
        written.charts.len() / 2,
        written.windows,
        written.events
    );
    Ok(())
}
