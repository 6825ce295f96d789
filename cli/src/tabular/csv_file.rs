//! CSV input: a header row, then one row per record. A column is numeric
//! when every present cell parses as a number; the file is read once, and
//! again only for columns that turned out not to be numeric.

use std::path::Path;

use mlobs_operators::baseline::ColumnData;

use super::{is_missing, plan, Kind, Selection};
use crate::bad_input;

enum Builder {
    /// Numbers so far; `inferred` columns may still turn out to be text.
    Numbers {
        values: Vec<f64>,
        inferred: bool,
        text: bool,
    },
    Labels(Vec<Option<String>>),
}

pub fn read(path: &Path, selection: &Selection) -> anyhow::Result<Vec<(String, ColumnData)>> {
    let mut reader = open(path)?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad_input!("{}: cannot read the header row: {e}", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(bad_input!(
            "{} is empty: expected a header row, then data",
            path.display()
        ));
    }
    let plan = plan(path, &header, selection)?;
    let mut builders: Vec<(usize, Builder)> = plan
        .iter()
        .map(|&(i, kind)| {
            let builder = match kind {
                Kind::Categorical => Builder::Labels(Vec::new()),
                Kind::Numeric | Kind::Infer => Builder::Numbers {
                    values: Vec::new(),
                    inferred: kind == Kind::Infer,
                    text: false,
                },
            };
            (i, builder)
        })
        .collect();
    let mut rows = 0usize;
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        rows += 1;
        for (i, builder) in &mut builders {
            let cell = String::from_utf8_lossy(record.get(*i).unwrap_or_default());
            match builder {
                Builder::Labels(values) => values.push((!is_missing(&cell)).then(|| cell.trim().to_string())),
                Builder::Numbers { text: true, .. } => {}
                Builder::Numbers { values, inferred, text } => match parse_number(&cell) {
                    Some(x) => values.push(x),
                    None if *inferred => *text = true,
                    None => {
                        return Err(bad_input!(
                            "{}: column {:?} is forced numeric but line {} has {:?}; fix the value or drop --numeric",
                            path.display(),
                            header[*i],
                            rows + 1,
                            cell.as_ref()
                        ))
                    }
                },
            }
        }
    }
    if rows == 0 {
        return Err(bad_input!("{} has a header but no rows", path.display()));
    }
    let text_columns: Vec<usize> = builders
        .iter()
        .filter(|(_, b)| matches!(b, Builder::Numbers { text: true, .. }))
        .map(|(i, _)| *i)
        .collect();
    let mut relabeled = if text_columns.is_empty() {
        Vec::new()
    } else {
        read_labels(path, &text_columns)?
    };
    Ok(builders
        .into_iter()
        .map(|(i, builder)| {
            let data = match builder {
                Builder::Labels(values) => ColumnData::Categorical(values),
                Builder::Numbers { text: true, .. } => {
                    let at = text_columns
                        .iter()
                        .position(|c| *c == i)
                        .expect("listed above");
                    ColumnData::Categorical(std::mem::take(&mut relabeled[at]))
                }
                Builder::Numbers { values, .. } => ColumnData::Numeric(values),
            };
            (header[i].clone(), data)
        })
        .collect())
}

/// A number, NaN for a missing cell, `None` for text.
fn parse_number(cell: &str) -> Option<f64> {
    if is_missing(cell) {
        return Some(f64::NAN);
    }
    cell.trim().parse().ok()
}

/// Second pass: the given columns as labels.
fn read_labels(path: &Path, columns: &[usize]) -> anyhow::Result<Vec<Vec<Option<String>>>> {
    let mut reader = open(path)?;
    let mut out = vec![Vec::new(); columns.len()];
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        for (values, &i) in out.iter_mut().zip(columns) {
            let cell = record.get(i).unwrap_or_default();
            values.push((!is_missing(cell)).then(|| cell.trim().to_string()));
        }
    }
    Ok(out)
}

fn open(path: &Path) -> anyhow::Result<csv::Reader<std::fs::File>> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| bad_input!("cannot open {}: {e}", path.display()))
}

fn csv_error(path: &Path, e: csv::Error) -> anyhow::Error {
    match e.position() {
        Some(p) => bad_input!("{}: line {}: {e}", path.display(), p.line()),
        None => bad_input!("{}: {e}", path.display()),
    }
}
