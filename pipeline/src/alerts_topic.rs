//! The alerts topic's record key, one convention for both publishers
//! (stage 2's rules and `mlobs alerts webhook`).

use mlobs_schemas::AlertEvent;

/// The Kafka key of an alert's events: its `alert_id`. The topic is
/// compacted, so the newest record per key survives: keyed by alert, every
/// alert keeps its newest state (keyed by model version, alerts open at the
/// same time would replace each other). An alert's firing and resolved
/// events share the key, so they stay in order in one partition.
pub fn record_key(event: &AlertEvent) -> &str {
    &event.alert_id
}
