//! Printing results for people (aligned tables) and programs (JSON).

use clap::ValueEnum;
use serde::Serialize;

/// How a command prints its result.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// JSON for programs.
    Json,
}

/// Prints `rows` under `header` with every column padded to its widest cell.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// `0.9123` -> `91.23%`, or `-` when unknown.
fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_string(), |s| format!("{:.2}%", s * 100.0))
}

/// Prints per-version counts: (version, predictions, labeled, correct).
pub fn print_version_counts<'a>(counts: impl Iterator<Item = (&'a str, u64, u64, u64)>) {
    let rows: Vec<Vec<String>> = counts
        .map(|(version, predictions, labeled, correct)| {
            let accuracy = (labeled > 0).then(|| correct as f64 / labeled as f64);
            vec![
                version.to_string(),
                predictions.to_string(),
                labeled.to_string(),
                correct.to_string(),
                percent(accuracy),
            ]
        })
        .collect();
    print_table(
        &["VERSION", "PREDICTIONS", "LABELED", "CORRECT", "ACCURACY"],
        &rows,
    );
}
