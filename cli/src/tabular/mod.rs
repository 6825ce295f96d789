//! Reading a CSV or Parquet file (chosen by extension) into typed columns,
//! with column selection and kind overrides. Every problem is a `BadInput`
//! naming the file, the column or the row.

mod cells;
mod csv_file;
mod parquet_file;
mod progress;
mod ranges;

pub use progress::Progress;

use std::collections::BTreeSet;
use std::path::Path;

use mlobs_operators::baseline::ColumnData;

use crate::bad_input;

/// Which columns to read and how.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Read only these (all when empty).
    pub columns: Vec<String>,
    /// Skip these.
    pub exclude: Vec<String>,
    /// Read these as categorical whatever they look like.
    pub categorical: Vec<String>,
    /// Read these as numeric; a cell that is not a number is an error.
    pub numeric: Vec<String>,
}

/// The kind a column is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Decide from the values: numeric when every present cell is a number.
    Infer,
    /// Numbers.
    Numeric,
    /// Labels.
    Categorical,
}

/// Cells read as missing in text: empty, NA, NaN, null, None.
pub fn is_missing(cell: &str) -> bool {
    matches!(
        cell.trim(),
        "" | "NA" | "N/A" | "NaN" | "nan" | "null" | "NULL" | "None"
    )
}

/// Reads the selected columns of `path`, counting its bytes in `progress`.
pub fn read(
    path: &Path,
    selection: &Selection,
    progress: &Progress,
) -> anyhow::Result<Vec<(String, ColumnData)>> {
    if !path.exists() {
        return Err(bad_input!("file {} does not exist", path.display()));
    }
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .as_deref()
    {
        Some("csv") => csv_file::read(path, selection, progress),
        Some("parquet") => parquet_file::read(path, selection, progress),
        _ => Err(bad_input!(
            "{}: unknown file type; use a .csv or .parquet file",
            path.display()
        )),
    }
}

/// Resolves the selection against the file's header: the columns to read,
/// in file order, with their kinds.
fn plan(
    path: &Path,
    header: &[String],
    selection: &Selection,
) -> anyhow::Result<Vec<(usize, Kind)>> {
    let known: BTreeSet<&str> = header.iter().map(String::as_str).collect();
    let lists = [
        ("--columns", &selection.columns),
        ("--exclude", &selection.exclude),
        ("--categorical", &selection.categorical),
        ("--numeric", &selection.numeric),
    ];
    for (flag, names) in lists {
        if let Some(unknown) = names.iter().find(|n| !known.contains(n.as_str())) {
            return Err(bad_input!(
                "{flag} names column {unknown:?}, which {} does not have; its columns are: {}",
                path.display(),
                header.join(", ")
            ));
        }
    }
    if let Some(both) = selection
        .categorical
        .iter()
        .find(|c| selection.numeric.contains(c))
    {
        return Err(bad_input!(
            "column {both:?} is both --categorical and --numeric; pick one"
        ));
    }
    let plan: Vec<(usize, Kind)> = header
        .iter()
        .enumerate()
        .filter(|(_, name)| selection.columns.is_empty() || selection.columns.contains(name))
        .filter(|(_, name)| !selection.exclude.contains(name))
        .map(|(i, name)| {
            let kind = if selection.categorical.contains(name) {
                Kind::Categorical
            } else if selection.numeric.contains(name) {
                Kind::Numeric
            } else {
                Kind::Infer
            };
            (i, kind)
        })
        .collect();
    if plan.is_empty() {
        return Err(bad_input!(
            "no columns of {} are left to read after --columns/--exclude",
            path.display()
        ));
    }
    Ok(plan)
}

/// Bytes in the files that exist, for a [`Progress`] over reading them.
pub fn size_of(paths: &[&Path]) -> u64 {
    paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}
