//! Turning the cells of a part of a file into typed columns: numbers parsed
//! straight from the bytes (no `String` per cell), labels interned per part.
//! Every reader (CSV cut into parts read in parallel, or a quoted CSV read
//! whole) feeds rows of byte cells here; [`merge`] joins the parts in file
//! order.

use std::collections::HashMap;

use mlobs_operators::baseline::ColumnData;
use mlobs_operators::intern::Interner;
use mlobs_operators::labels::Labels;

use super::{is_missing, Kind};

/// The columns of one part of a file, being built.
#[derive(Debug)]
pub struct Part {
    /// Column position in the file -> its builder, for the planned columns.
    slots: Vec<Option<usize>>,
    builders: Vec<Builder>,
    /// Rows added.
    pub rows: usize,
}

/// A cell that cannot go in its column.
#[derive(Debug)]
pub struct NotANumber {
    /// Position of the column in the file.
    pub column: usize,
    /// The cell, as text.
    pub cell: String,
}

#[derive(Debug)]
enum Builder {
    Numbers {
        values: Vec<f64>,
        /// Kind::Infer: text turns the column into labels (read again).
        inferred: bool,
        text: bool,
    },
    Labels {
        codes: Vec<u32>,
        ids: HashMap<Vec<u8>, u32>,
        names: Vec<String>,
    },
}

impl Part {
    /// Builders for `plan` (column positions and kinds) in a file of
    /// `width` columns.
    pub fn new(plan: &[(usize, Kind)], width: usize) -> Part {
        let mut slots = vec![None; width];
        for (slot, &(column, _)) in plan.iter().enumerate() {
            slots[column] = Some(slot);
        }
        let builders = plan
            .iter()
            .map(|&(_, kind)| match kind {
                Kind::Categorical => Builder::Labels {
                    codes: Vec::new(),
                    ids: HashMap::new(),
                    names: Vec::new(),
                },
                Kind::Numeric | Kind::Infer => Builder::Numbers {
                    values: Vec::new(),
                    inferred: kind == Kind::Infer,
                    text: false,
                },
            })
            .collect();
        Part {
            slots,
            builders,
            rows: 0,
        }
    }

    /// Room for about `rows` more rows, so that a large part does not grow
    /// its columns by doubling (which would hold twice the memory).
    pub fn reserve(&mut self, rows: usize) {
        for builder in &mut self.builders {
            match builder {
                Builder::Numbers { values, .. } => values.reserve(rows),
                Builder::Labels { codes, .. } => codes.reserve(rows),
            }
        }
    }

    /// Adds the cell in file column `column` of the current row. Fails on
    /// text in a column forced numeric.
    #[inline]
    pub fn cell(&mut self, column: usize, cell: &[u8]) -> Result<(), NotANumber> {
        let Some(Some(slot)) = self.slots.get(column) else {
            return Ok(());
        };
        match &mut self.builders[*slot] {
            Builder::Numbers { text: true, .. } => {}
            Builder::Numbers {
                values,
                inferred,
                text,
            } => match number(cell) {
                Some(x) => values.push(x),
                None if *inferred => *text = true,
                None => {
                    return Err(NotANumber {
                        column,
                        cell: String::from_utf8_lossy(cell).into_owned(),
                    })
                }
            },
            Builder::Labels { codes, ids, names } => codes.push(label(cell, ids, names)),
        }
        Ok(())
    }

    /// Adds the cell at the start of `rest` (what is left of a line, with
    /// its end of line removed) to file column `column`, and returns the
    /// cell's length. A number is parsed where it starts, and the comma is
    /// looked for only when the number does not end right before one.
    #[inline]
    pub fn next_cell(&mut self, column: usize, rest: &[u8]) -> Result<usize, NotANumber> {
        if let Some(Some(slot)) = self.slots.get(column) {
            if let Builder::Numbers {
                values,
                text: false,
                ..
            } = &mut self.builders[*slot]
            {
                if let Ok((x, length)) = fast_float2::parse_partial::<f64, _>(rest) {
                    if rest.get(length).is_none_or(|b| *b == b',') {
                        values.push(x);
                        return Ok(length);
                    }
                }
            }
        }
        let length = memchr::memchr(b',', rest).unwrap_or(rest.len());
        self.cell(column, &rest[..length])?;
        Ok(length)
    }

    /// Ends a row (the reader checked it had every column).
    pub fn end_row(&mut self) {
        self.rows += 1;
    }

    /// File positions of the inferred columns that turned out to hold text.
    pub fn text_columns(&self, plan: &[(usize, Kind)]) -> Vec<usize> {
        plan.iter()
            .zip(&self.builders)
            .filter(|(_, b)| matches!(b, Builder::Numbers { text: true, .. }))
            .map(|((column, _), _)| *column)
            .collect()
    }
}

/// A number straight from the bytes, NaN for a missing cell, `None` for
/// text.
#[inline]
fn number(cell: &[u8]) -> Option<f64> {
    match fast_float2::parse::<f64, _>(cell) {
        Ok(x) => Some(x),
        Err(_) => {
            let trimmed = cell.trim_ascii();
            match std::str::from_utf8(trimmed) {
                Ok(text) if is_missing(text) => Some(f64::NAN),
                _ => fast_float2::parse::<f64, _>(trimmed).ok(),
            }
        }
    }
}

/// The part's code of a label, `MISSING` for a missing cell.
#[inline]
fn label(cell: &[u8], ids: &mut HashMap<Vec<u8>, u32>, names: &mut Vec<String>) -> u32 {
    let trimmed = cell.trim_ascii();
    if let Some(&id) = ids.get(trimmed) {
        return id;
    }
    let name = String::from_utf8_lossy(trimmed).into_owned();
    let id = if is_missing(&name) {
        Labels::MISSING
    } else {
        names.push(name);
        names.len() as u32 - 1
    };
    ids.insert(trimmed.to_vec(), id);
    id
}

/// Joins the parts of a file, in file order, into one column per planned
/// column; inferred columns that held text are left out (the caller reads
/// them again as labels). Each column is joined and its parts freed before
/// the next, so the join holds at most one column more than the parts.
pub fn merge(plan: &[(usize, Kind)], parts: Vec<Part>, text: &[usize]) -> Vec<(usize, ColumnData)> {
    let mut builders: Vec<std::vec::IntoIter<Builder>> =
        parts.into_iter().map(|p| p.builders.into_iter()).collect();
    let mut columns = Vec::new();
    for &(column, _) in plan {
        let pieces: Vec<Builder> = builders
            .iter_mut()
            .map(|b| b.next().expect("one builder per planned column"))
            .collect();
        if text.contains(&column) {
            continue;
        }
        columns.push((column, join(pieces)));
    }
    columns
}

fn join(pieces: Vec<Builder>) -> ColumnData {
    let mut numbers: Vec<f64> = Vec::new();
    let mut labels: Option<(Interner, Vec<u32>)> = None;
    for piece in pieces {
        match piece {
            Builder::Numbers { values, .. } if numbers.is_empty() => numbers = values,
            Builder::Numbers { values, .. } => numbers.extend_from_slice(&values),
            Builder::Labels { codes, names, .. } => {
                let (interner, all_codes) = labels.get_or_insert_with(Default::default);
                // The part's codes, in the one dictionary of the column.
                let global: Vec<u32> = names.iter().map(|name| interner.intern(name)).collect();
                all_codes.extend(codes.iter().map(|&code| {
                    global
                        .get(code as usize)
                        .copied()
                        .unwrap_or(Labels::MISSING)
                }));
            }
        }
    }
    match labels {
        None => ColumnData::Numeric(numbers),
        Some((names, codes)) => ColumnData::Categorical(Labels::from_codes(names, codes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(plan: &[(usize, Kind)], rows: &[&[&str]]) -> Part {
        let mut part = Part::new(plan, 2);
        for row in rows {
            for (column, cell) in row.iter().enumerate() {
                part.cell(column, cell.as_bytes()).unwrap();
            }
            part.end_row();
        }
        part
    }

    #[test]
    fn parts_join_in_file_order_with_one_dictionary() {
        let plan = [(0, Kind::Infer), (1, Kind::Categorical)];
        let first = part(&plan, &[&["1.5", "b"], &["NA", " a "]]);
        let second = part(&plan, &[&["-2e3", "a"], &["", "NA"], &["7", "b"]]);
        let columns = merge(&plan, vec![first, second], &[]);
        let ColumnData::Numeric(numbers) = &columns[0].1 else {
            panic!("numeric")
        };
        assert_eq!(numbers[0], 1.5);
        assert!(numbers[1].is_nan() && numbers[3].is_nan());
        assert_eq!((numbers[2], numbers[4]), (-2000.0, 7.0));
        let ColumnData::Categorical(labels) = &columns[1].1 else {
            panic!("labels")
        };
        let rows: Vec<Option<&str>> = labels.iter().collect();
        assert_eq!(rows, [Some("b"), Some("a"), Some("a"), None, Some("b")]);
    }

    #[test]
    fn text_in_an_inferred_column_marks_it_and_in_a_forced_one_fails() {
        let inferred = part(&[(0, Kind::Infer)], &[&["1"], &["oops"]]);
        assert_eq!(inferred.text_columns(&[(0, Kind::Infer)]), [0]);
        let mut forced = Part::new(&[(1, Kind::Numeric)], 2);
        let error = forced.cell(1, b"oops").unwrap_err();
        assert_eq!((error.column, error.cell.as_str()), (1, "oops"));
    }
}
