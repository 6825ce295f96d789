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

/// A time argument (`--since`, `--until`): RFC 3339, as every command
/// takes it, in Unix milliseconds; or an error naming the flag.
pub fn time_arg(flag: &str, text: &str) -> anyhow::Result<i64> {
    mlobs_schemas::time::parse_rfc3339(text)
        .map_err(|e| bad_input!("{flag}: {e}; give e.g. 2026-01-05T09:00:00Z"))
}
