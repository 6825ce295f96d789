//! Flags shared by the commands that read tabular files.

use crate::tabular::Selection;

/// Column selection and kind overrides.
#[derive(clap::Args, Debug, Clone)]
pub struct ColumnFlags {
    /// Only these columns (comma-separated).
    #[arg(long, value_delimiter = ',')]
    columns: Vec<String>,
    /// Skip these columns (comma-separated), e.g. ids and labels.
    #[arg(long, value_delimiter = ',')]
    exclude: Vec<String>,
    /// Treat these columns as categorical even if they hold numbers.
    #[arg(long, value_delimiter = ',')]
    categorical: Vec<String>,
    /// Treat these columns as numeric; a cell that is not a number is an error.
    #[arg(long, value_delimiter = ',')]
    numeric: Vec<String>,
}

impl ColumnFlags {
    /// The selection these flags describe.
    pub fn selection(&self) -> Selection {
        Selection {
            columns: self.columns.clone(),
            exclude: self.exclude.clone(),
            categorical: self.categorical.clone(),
            numeric: self.numeric.clone(),
        }
    }
}
