//! `mlobs alerts`: the alerts on the alerts topic.

pub mod list;

pub use list::{execute, Args};
