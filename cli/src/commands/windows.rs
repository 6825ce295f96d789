//! `mlobs windows`: window results read back from the window-metrics topic.

use mlobs_pipeline::windows::{read_all, views, WindowView};
use mlobs_pipeline::Config;

use crate::bad_input::time_arg;
use crate::output::{print_json, print_table, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Only this model.
    #[arg(long)]
    model: Option<String>,
    /// Only windows starting at or after this time (RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    let since = args
        .since
        .as_deref()
        .map(|t| time_arg("--since", t))
        .transpose()?;
    let schemas = config.writer_schemas()?;
    let all = read_all(&config.kafka, &config.kafka.topics.window_metrics, &schemas)?;
    let windows: Vec<WindowView> = views(&all)
        .into_iter()
        .zip(&all)
        .filter(|(_, w)| args.model.as_ref().is_none_or(|m| *m == w.model))
        .filter(|(_, w)| since.is_none_or(|s| w.window_start >= s))
        .map(|(view, _)| view)
        .collect();
    print_windows(&windows, args.format)
}

/// Prints windows as JSON or as a table (drifted features named).
pub fn print_windows(windows: &[WindowView], format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        return print_json(&windows);
    }
    let number = |x: Option<f64>, digits: usize| {
        x.map_or_else(|| "-".to_string(), |v| format!("{v:.digits$}"))
    };
    let rows: Vec<Vec<String>> = windows
        .iter()
        .map(|w| {
            let drifted: Vec<&str> = w
                .drift
                .iter()
                .filter(|d| d.drift_detected)
                .map(|d| d.feature.as_str())
                .collect();
            vec![
                w.window_start.clone(),
                format!("{}/{}", w.model, w.version),
                w.environment.clone(),
                w.predictions.to_string(),
                w.labeled.to_string(),
                number(w.accuracy.map(|a| a * 100.0), 1),
                number(w.accuracy_estimated.map(|a| a * 100.0), 1),
                number(w.latency_p95_ms, 1),
                w.errors.values().sum::<i64>().to_string(),
                if w.complete {
                    "yes".into()
                } else {
                    "no".into()
                },
                if drifted.is_empty() {
                    "-".into()
                } else {
                    drifted.join(",")
                },
            ]
        })
        .collect();
    print_table(
        &[
            "WINDOW",
            "VERSION",
            "ENVIRONMENT",
            "PREDICTIONS",
            "LABELED",
            "ACCURACY%",
            "ESTIMATED%",
            "P95_MS",
            "ERRORS",
            "COMPLETE",
            "DRIFTED",
        ],
        &rows,
    )?;
    Ok(())
}
