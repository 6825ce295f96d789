//! Errors in what the user gave us (a file, a column name, a value): printed
//! as one line, exit code 2, never a panic.

use std::fmt;

/// A problem with the user's input, with what to do about it.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Shorthand: `Err(bad_input!("..."))`.
#[macro_export]
macro_rules! bad_input {
    ($($arg:tt)*) => {
        anyhow::Error::new($crate::bad_input::BadInput(format!($($arg)*)))
    };
}
