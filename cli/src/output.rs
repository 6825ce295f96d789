//! Printing results for people (aligned tables) and programs (JSON).

use std::fmt;
use std::io::{self, Write};

use clap::ValueEnum;
use serde::Serialize;

/// Writes one line to stdout. A closed pipe (`mlobs ... | head`) comes back
/// as a `BrokenPipe` error, which `main` treats as a normal end.
pub fn line(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)?;
    out.write_all(b"\n")
}

/// `println!` that returns a broken pipe as an error instead of panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))?
    };
}

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
pub fn print_table(header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let padded = |cells: Vec<&str>| {
        let cells: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        cells.join("  ").trim_end().to_string()
    };
    out!("{}", padded(header.to_vec()));
    for row in rows {
        out!("{}", padded(row.iter().map(String::as_str).collect()));
    }
    Ok(())
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    out!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// `0.9123` -> `91.23%`, or `-` when unknown.
fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_string(), |s| format!("{:.2}%", s * 100.0))
}

/// Prints per-version counts: (version, predictions, labeled, correct).
pub fn print_version_counts<'a>(
    counts: impl Iterator<Item = (&'a str, u64, u64, u64)>,
) -> io::Result<()> {
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
    )
}
