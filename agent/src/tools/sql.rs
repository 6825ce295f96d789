//! SQL fragments the tools share, pure so that they are tested without
//! ClickHouse. Values are quoted here (ClickHouse string literals), never
//! pasted raw: arguments come from people and MCP clients.

use super::{ModelRef, TimeWindow};

pub use mlobs_pipeline::sinks::clickhouse::query::quote;

/// `model = ... [AND version = ...]`.
pub fn model_filter(model: &ModelRef) -> String {
    match &model.version {
        Some(v) => format!("model = {} AND version = {}", quote(&model.model), quote(v)),
        None => format!("model = {}", quote(&model.model)),
    }
}

/// `column >= start AND column < end` on a millisecond column.
pub fn time_filter(column: &str, window: &TimeWindow) -> String {
    format!(
        "{column} >= {} AND {column} < {}",
        window.start_ms, window.end_ms
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_name_the_model_version_and_range() {
        let all = ModelRef {
            model: "churn".into(),
            version: None,
        };
        assert_eq!(model_filter(&all), "model = 'churn'");
        let one = ModelRef {
            version: Some("2".into()),
            ..all
        };
        assert_eq!(model_filter(&one), "model = 'churn' AND version = '2'");
        let w = TimeWindow {
            start_ms: 10,
            end_ms: 20,
        };
        assert_eq!(time_filter("t", &w), "t >= 10 AND t < 20");
    }
}
