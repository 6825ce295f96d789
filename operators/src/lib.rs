//! Pure streaming operators and statistics: no I/O, no async, no Kafka.
//! Every function here is deterministic given its input, so every number can
//! be checked against an exact computation.

pub mod alerts;
pub mod baseline;
pub mod cbpe;
pub mod drift;
pub mod hash;
pub mod intern;
pub mod join;
pub mod labels;
pub mod limits;
pub mod metrics;
mod serde_pairs;
pub mod sketch;
pub mod stage1;
pub mod stage2;
pub mod stats;
pub mod validate;
pub mod window;

#[cfg(test)]
mod merge_tests;
