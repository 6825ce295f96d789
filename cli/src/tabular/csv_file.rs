//! CSV input: a header row, then one row per record. Files without quotes
//! are read on every core (ranges.rs); files with quotes by the csv crate,
//! whole. A column is numeric when every present cell parses as a number;
//! columns that turn out to hold text are read again as labels.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use mlobs_operators::baseline::ColumnData;

use super::cells::{merge, NotANumber, Part};
use super::progress::Progress;
use super::ranges::{line_at, read_parts, Layout, RangeError};
use super::{plan, Kind, Selection};
use crate::bad_input;

pub fn read(
    path: &Path,
    selection: &Selection,
    progress: &Progress,
) -> anyhow::Result<Vec<(String, ColumnData)>> {
    let file = File::open(path).map_err(|e| bad_input!("cannot open {}: {e}", path.display()))?;
    let (header, data_start) = header(path, &file)?;
    let plan = plan(path, &header, selection)?;
    let source = Source {
        path,
        file: &file,
        header: &header,
        data_start,
    };
    let parts = source.parts(&plan, progress)?;
    if parts.iter().all(|p| p.rows == 0) {
        return Err(bad_input!("{} has a header but no rows", path.display()));
    }
    let mut text: Vec<usize> = parts.iter().flat_map(|p| p.text_columns(&plan)).collect();
    text.sort_unstable();
    text.dedup();
    let mut columns = merge(&plan, parts, &text);
    if !text.is_empty() {
        let relabel: Vec<(usize, Kind)> = text.iter().map(|&c| (c, Kind::Categorical)).collect();
        columns.extend(merge(&relabel, source.parts(&relabel, progress)?, &[]));
        columns.sort_by_key(|(column, _)| *column);
    }
    Ok(columns
        .into_iter()
        .map(|(column, data)| (header[column].clone(), data))
        .collect())
}

/// The header's cells and the offset of the first byte after it.
fn header(path: &Path, file: &File) -> anyhow::Result<(Vec<String>, u64)> {
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    let end = loop {
        let read = file
            .read_at(&mut chunk, bytes.len() as u64)
            .map_err(|e| bad_input!("cannot read {}: {e}", path.display()))?;
        bytes.extend_from_slice(&chunk[..read]);
        if let Some(newline) = memchr::memchr(b'\n', &bytes) {
            break newline + 1;
        }
        if read == 0 {
            break bytes.len();
        }
    };
    let header: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[..end])
        .records()
        .next()
        .transpose()
        .map_err(|e| bad_input!("{}: cannot read the header row: {e}", path.display()))?
        .map(|record| record.iter().map(str::to_string).collect())
        .unwrap_or_default();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(bad_input!(
            "{} is empty: expected a header row, then data",
            path.display()
        ));
    }
    Ok((header, end as u64))
}

/// An open CSV file whose header is known.
struct Source<'a> {
    path: &'a Path,
    file: &'a File,
    header: &'a [String],
    data_start: u64,
}

impl Source<'_> {
    /// The planned columns of every row, in parts in file order.
    fn parts(&self, plan: &[(usize, Kind)], progress: &Progress) -> anyhow::Result<Vec<Part>> {
        let end = self
            .file
            .metadata()
            .map_err(|e| bad_input!("cannot read {}: {e}", self.path.display()))?
            .len();
        let layout = Layout {
            plan,
            width: self.header.len(),
        };
        match read_parts(self.file, self.data_start, end, layout, progress) {
            Ok(parts) => Ok(parts),
            Err(RangeError::Quoted) => Ok(vec![self.quoted(plan)?]),
            Err(RangeError::Width { offset, found }) => Err(bad_input!(
                "{}: line {} has {found} cells, but the header has {}; every row needs one cell per column",
                self.path.display(),
                line_at(self.file, offset),
                self.header.len()
            )),
            Err(RangeError::NotANumber { offset, error }) => {
                Err(self.not_a_number(line_at(self.file, offset), error))
            }
            Err(RangeError::Io(e)) => Err(bad_input!("cannot read {}: {e}", self.path.display())),
        }
    }

    /// A file with quoted cells, read by the csv crate on one thread.
    fn quoted(&self, plan: &[(usize, Kind)]) -> anyhow::Result<Part> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(self.path)
            .map_err(|e| bad_input!("cannot open {}: {e}", self.path.display()))?;
        let mut part = Part::new(plan, self.header.len());
        let mut record = csv::ByteRecord::new();
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| self.csv_error(e))?
        {
            for (column, cell) in record.iter().enumerate() {
                part.cell(column, cell).map_err(|error| {
                    let line = record.position().map_or(0, |p| p.line());
                    self.not_a_number(line, error)
                })?;
            }
            part.end_row();
        }
        Ok(part)
    }

    fn not_a_number(&self, line: u64, error: NotANumber) -> anyhow::Error {
        bad_input!(
            "{}: column {:?} is forced numeric but line {line} has {:?}; fix the value or drop --numeric",
            self.path.display(),
            self.header[error.column],
            error.cell
        )
    }

    fn csv_error(&self, e: csv::Error) -> anyhow::Error {
        match e.position() {
            Some(p) => bad_input!("{}: line {}: {e}", self.path.display(), p.line()),
            None => bad_input!("{}: {e}", self.path.display()),
        }
    }
}
