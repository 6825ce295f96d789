//! Parquet input (uncompressed or snappy), flat schemas, through arrow's
//! reader: each selected column is decoded by its own reader, projected to
//! that column alone, a column per core at a time. Numeric physical types
//! are numeric columns, strings and booleans categorical, unless the
//! selection forces a kind.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrowPrimitiveType};
use arrow_schema::{DataType, TimeUnit};
use mlobs_operators::baseline::ColumnData;
use mlobs_operators::labels::Labels;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use parquet::basic::Type as PhysicalType;

use super::{is_missing, plan, Kind, Progress, Selection};
use crate::{bad_input, parallel};

/// Rows decoded at a time: large enough that a batch's overhead vanishes,
/// small enough that a batch of one column is a few hundred kilobytes.
const BATCH_ROWS: usize = 64 * 1024;

pub fn read(
    path: &Path,
    selection: &Selection,
    progress: &Progress,
) -> anyhow::Result<Vec<(String, ColumnData)>> {
    // The footer is parsed once; every column's reader starts from it.
    let metadata = ArrowReaderMetadata::load(&open(path)?, ArrowReaderOptions::default())
        .map_err(|e| bad_input!("{} is not a readable Parquet file: {e}", path.display()))?;
    let fields = metadata
        .parquet_schema()
        .root_schema()
        .get_fields()
        .to_vec();
    if fields.iter().any(|f| f.is_group()) {
        return Err(bad_input!(
            "{} has nested columns; mlobs reads flat tables only",
            path.display()
        ));
    }
    let header: Vec<String> = fields.iter().map(|f| f.name().to_string()).collect();
    if header.is_empty() {
        return Err(bad_input!("{} has no columns", path.display()));
    }
    if metadata.metadata().file_metadata().num_rows() == 0 {
        return Err(bad_input!("{} has columns but no rows", path.display()));
    }
    let plan = plan(path, &header, selection)?;
    // Each column's share of the file, for the progress line.
    let share = std::fs::metadata(path).map_or(0, |m| m.len()) / plan.len() as u64;
    let columns = parallel::map(plan, |(index, kind)| {
        let numeric = match kind {
            Kind::Numeric => true,
            Kind::Categorical => false,
            Kind::Infer => !matches!(
                fields[index].get_physical_type(),
                PhysicalType::BYTE_ARRAY
                    | PhysicalType::FIXED_LEN_BYTE_ARRAY
                    | PhysicalType::BOOLEAN
            ),
        };
        let column = read_column(path, &metadata, index, &header[index], numeric);
        progress.add(share);
        column.map(|data| (header[index].clone(), data))
    });
    columns.into_iter().collect()
}

fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path).map_err(|e| bad_input!("cannot open {}: {e}", path.display()))
}

/// One column, decoded by a reader that projects the file to it alone.
fn read_column(
    path: &Path,
    metadata: &ArrowReaderMetadata,
    index: usize,
    name: &str,
    numeric: bool,
) -> anyhow::Result<ColumnData> {
    let failed = |e: &dyn std::fmt::Display| bad_input!("{}: column {name:?}: {e}", path.display());
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(open(path)?, metadata.clone());
    let rows = builder.metadata().file_metadata().num_rows().max(0) as usize;
    let only_this = ProjectionMask::roots(builder.parquet_schema(), [index]);
    let batches = builder
        .with_projection(only_this)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| failed(&e))?;
    let mut column = if numeric {
        ColumnData::Numeric(Vec::with_capacity(rows))
    } else {
        ColumnData::Categorical(Labels::default())
    };
    let mut rows_before = 0;
    for batch in batches {
        let batch = batch.map_err(|e| failed(&e))?;
        let array = batch.column(0).as_ref();
        match &mut column {
            ColumnData::Numeric(values) => push_numbers(values, array, rows_before)
                .map_err(|e| bad_input!("{}: column {name:?} {e}", path.display()))?,
            ColumnData::Categorical(labels) => push_labels(labels, array)
                .map_err(|e| bad_input!("{}: column {name:?} {e}", path.display()))?,
        }
        rows_before += array.len();
    }
    Ok(column)
}

/// Appends a batch's cells as numbers (NaN when missing). Text must parse
/// as a number: a column of text is numeric only when forced.
fn push_numbers(
    values: &mut Vec<f64>,
    array: &dyn Array,
    rows_before: usize,
) -> Result<(), String> {
    fn cast<T: ArrowPrimitiveType>(
        values: &mut Vec<f64>,
        array: &dyn Array,
        to_f64: impl Fn(T::Native) -> f64,
    ) {
        let array = array.as_primitive::<T>();
        values.extend(array.iter().map(|x| x.map_or(f64::NAN, &to_f64)));
    }
    match array.data_type() {
        DataType::Float64 => cast::<Float64Type>(values, array, |x| x),
        DataType::Float32 => cast::<Float32Type>(values, array, f64::from),
        DataType::Int8 => cast::<Int8Type>(values, array, f64::from),
        DataType::Int16 => cast::<Int16Type>(values, array, f64::from),
        DataType::Int32 => cast::<Int32Type>(values, array, f64::from),
        DataType::Int64 => cast::<Int64Type>(values, array, |x| x as f64),
        DataType::UInt8 => cast::<UInt8Type>(values, array, f64::from),
        DataType::UInt16 => cast::<UInt16Type>(values, array, f64::from),
        DataType::UInt32 => cast::<UInt32Type>(values, array, f64::from),
        DataType::UInt64 => cast::<UInt64Type>(values, array, |x| x as f64),
        DataType::Date32 => cast::<Date32Type>(values, array, f64::from),
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            cast::<TimestampMillisecondType>(values, array, |x| x as f64)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            cast::<TimestampMicrosecondType>(values, array, |x| x as f64)
        }
        DataType::Boolean => values.extend(
            array
                .as_boolean()
                .iter()
                .map(|b| b.map_or(f64::NAN, |b| f64::from(u8::from(b)))),
        ),
        _ => {
            for (row, text) in text_cells(array)?.into_iter().enumerate() {
                values.push(match text {
                    None => f64::NAN,
                    Some(t) if is_missing(t) => f64::NAN,
                    Some(t) => t.trim().parse().map_err(|_| {
                        format!(
                            "is forced numeric but row {} has {t:?}; fix the value or drop --numeric",
                            rows_before + row + 1
                        )
                    })?,
                });
            }
        }
    }
    Ok(())
}

/// Appends a batch's cells as labels: text trimmed, missing markers and
/// nulls as missing, numbers and booleans as they print.
fn push_labels(labels: &mut Labels, array: &dyn Array) -> Result<(), String> {
    if let Ok(cells) = text_cells(array) {
        for cell in cells {
            labels.push(cell.filter(|t| !is_missing(t)).map(str::trim));
        }
        return Ok(());
    }
    let mut numbers = Vec::with_capacity(array.len());
    push_numbers(&mut numbers, array, 0)?;
    for (row, x) in numbers.into_iter().enumerate() {
        let label = if array.is_null(row) {
            None
        } else if *array.data_type() == DataType::Boolean {
            Some((x == 1.0).to_string())
        } else {
            Some(x.to_string())
        };
        labels.push(label.as_deref());
    }
    Ok(())
}

/// The cells of a column of text (plain, large, view or dictionary-encoded
/// strings); an error naming the type for anything else.
fn text_cells(array: &dyn Array) -> Result<Vec<Option<&str>>, String> {
    Ok(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().collect(),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().collect(),
        DataType::Utf8View => array.as_string_view().iter().collect(),
        DataType::Dictionary(_, values) if is_text(values) => {
            let dictionary = array.as_any_dictionary();
            let words = text_cells(dictionary.values().as_ref())?;
            dictionary
                .normalized_keys()
                .into_iter()
                .enumerate()
                .map(|(row, key)| words[key].filter(|_| array.is_valid(row)))
                .collect()
        }
        other => {
            return Err(format!(
                "has type {other}, which mlobs does not read; store it as numbers or text"
            ))
        }
    })
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}
