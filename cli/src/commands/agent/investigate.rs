//! `mlobs agent investigate`: the Investigate and Reason nodes once, for
//! one model, printing the diagnosis without acting.

use mlobs_agent::investigate;
use mlobs_agent::tools::{ToolError, Tools};
use mlobs_pipeline::Config;

use crate::bad_input::time_arg;
use crate::{bad_input, out};

#[derive(clap::Args)]
pub struct InvestigateArgs {
    /// The registered model name.
    #[arg(long)]
    model: String,
    /// Start of the span (RFC 3339); default: the model's oldest window.
    /// The span ends at the model's newest window, not at the wall clock.
    #[arg(long)]
    since: Option<String>,
    /// json: the stable contract for programs; text: for people.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// The report as JSON (issue 11's contract).
    Json,
    /// The report as readable lines.
    Text,
}

pub fn execute(config: &Config, args: InvestigateArgs) -> anyhow::Result<()> {
    let since = args
        .since
        .as_deref()
        .map(|t| time_arg("--since", t))
        .transpose()?;
    let tools = Tools::from_config(config).map_err(|e| bad_input!("{e}"))?;
    // The onset of a symptom is this many windows before its alert fired.
    let for_windows = config
        .alerts
        .rules()
        .map_err(|e| bad_input!("{e}"))?
        .for_model(&args.model)
        .for_windows;
    let report =
        investigate::run(&tools, &args.model, since, for_windows).map_err(|e| match e {
            ToolError::UnknownModel { .. } | ToolError::EmptyWindow { .. } => bad_input!("{e}"),
            other => anyhow::Error::new(other),
        })?;
    match args.format {
        Format::Json => out!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => out!("{}", report.to_text().trim_end()),
    }
    Ok(())
}
