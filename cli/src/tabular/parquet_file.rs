//! Parquet input (uncompressed or snappy), flat schemas: numeric physical
//! types are numeric columns, strings and booleans categorical, unless the
//! selection forces a kind.

use std::fs::File;
use std::path::Path;

use mlobs_operators::baseline::ColumnData;
use mlobs_operators::labels::Labels;
use parquet::basic::Type as PhysicalType;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

use super::{is_missing, plan, Kind, Selection};
use crate::bad_input;

pub fn read(path: &Path, selection: &Selection) -> anyhow::Result<Vec<(String, ColumnData)>> {
    let file = File::open(path).map_err(|e| bad_input!("cannot open {}: {e}", path.display()))?;
    let reader = SerializedFileReader::new(file)
        .map_err(|e| bad_input!("{} is not a readable Parquet file: {e}", path.display()))?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let fields = schema.root_schema().get_fields();
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
    let plan = plan(path, &header, selection)?;
    let numeric: Vec<bool> = plan
        .iter()
        .map(|&(i, kind)| match kind {
            Kind::Numeric => true,
            Kind::Categorical => false,
            Kind::Infer => !matches!(
                fields[i].get_physical_type(),
                PhysicalType::BYTE_ARRAY
                    | PhysicalType::FIXED_LEN_BYTE_ARRAY
                    | PhysicalType::BOOLEAN
            ),
        })
        .collect();
    let mut columns: Vec<ColumnData> = numeric
        .iter()
        .map(|n| {
            if *n {
                ColumnData::Numeric(Vec::new())
            } else {
                ColumnData::Categorical(Labels::default())
            }
        })
        .collect();
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| bad_input!("{}: {e}", path.display()))?;
    let mut count = 0usize;
    for row in rows {
        let row = row.map_err(|e| bad_input!("{}: row {}: {e}", path.display(), count + 1))?;
        count += 1;
        let cells: Vec<&Field> = row.get_column_iter().map(|(_, field)| field).collect();
        for (&(i, _), column) in plan.iter().zip(&mut columns) {
            match column {
                ColumnData::Numeric(values) => values.push(number(cells[i]).ok_or_else(|| {
                    bad_input!(
                        "{}: column {:?} is forced numeric but row {count} has {}; fix the value or drop --numeric",
                        path.display(),
                        header[i],
                        cells[i]
                    )
                })?),
                ColumnData::Categorical(values) => values.push(label(cells[i]).as_deref()),
            }
        }
    }
    if count == 0 {
        return Err(bad_input!("{} has columns but no rows", path.display()));
    }
    Ok(plan
        .iter()
        .map(|(i, _)| header[*i].clone())
        .zip(columns)
        .collect())
}

/// A cell as a number (NaN when missing); `None` for text that is not one.
fn number(field: &Field) -> Option<f64> {
    Some(match field {
        Field::Null => f64::NAN,
        Field::Bool(b) => f64::from(u8::from(*b)),
        Field::Byte(x) => f64::from(*x),
        Field::Short(x) => f64::from(*x),
        Field::Int(x) => f64::from(*x),
        Field::Long(x) => *x as f64,
        Field::UByte(x) => f64::from(*x),
        Field::UShort(x) => f64::from(*x),
        Field::UInt(x) => f64::from(*x),
        Field::ULong(x) => *x as f64,
        Field::Float(x) => f64::from(*x),
        Field::Double(x) => *x,
        Field::Date(x) => f64::from(*x),
        Field::TimestampMillis(x) | Field::TimestampMicros(x) => *x as f64,
        Field::Str(s) if is_missing(s) => f64::NAN,
        Field::Str(s) => s.trim().parse().ok()?,
        _ => return None,
    })
}

/// A cell as a label (`None` when missing).
fn label(field: &Field) -> Option<String> {
    match field {
        Field::Null => None,
        Field::Str(s) if is_missing(s) => None,
        Field::Str(s) => Some(s.trim().to_string()),
        other => Some(other.to_string()),
    }
}
