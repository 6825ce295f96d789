//! Stage 1: join predictions with labels per partition and emit per-window
//! partials, with state checkpointed to the changelog topic.

pub mod checkpoint;
mod idleness;
mod observe;
pub mod runner;
mod task;
pub mod worker;

use mlobs_operators::stage1::Stage1Config;
use mlobs_operators::window::Windows;

use crate::Config;

/// The operator settings a stage-1 partition runs with.
pub fn operator_config(config: &Config) -> Stage1Config {
    Stage1Config {
        windows: Windows {
            size_ms: config.windows.size_ms,
            allowed_lateness_ms: config.windows.allowed_lateness_ms,
        },
        label_ttl_ms: config.join.label_ttl_ms,
        max_pending_labels: config.join.max_pending_labels,
        limits: config.limits,
    }
}
